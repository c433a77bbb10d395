import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JSONWebKeySet, JWK } from 'jose';
import { generateServiceKey } from './credentials.js';
import { SERVICES, type ServiceName } from './services.js';

export interface ServiceKeyring {
  /** Each service's private key (a process uses only its own). */
  readonly privateKeys: Record<ServiceName, JWK>;
  /** Every service's public key: what verifiers trust. */
  readonly trusted: JSONWebKeySet;
}

export async function generateKeyring(): Promise<ServiceKeyring> {
  const privateKeys = {} as Record<ServiceName, JWK>;
  const keys: JWK[] = [];
  for (const service of SERVICES) {
    const key = await generateServiceKey(service);
    privateKeys[service] = key.privateJwk;
    keys.push(key.publicJwk);
  }
  return { privateKeys, trusted: { keys } };
}

/**
 * Development convenience: a keyring kept in the data folder, created by whichever process starts first,
 * so `npm start` and a service started alone trust each other with no set-up. Production passes keys
 * through SERVICE_SIGNING_KEY / SERVICE_TRUSTED_KEYS instead (see README).
 */
export async function loadDevKeyring(dataDir: string): Promise<ServiceKeyring> {
  const file = join(dataDir, 'service-keys.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as ServiceKeyring;
  } catch {
    await mkdir(dataDir, { recursive: true });
    const keyring = await generateKeyring();
    const partial = `${file}.${process.pid}`;
    await writeFile(partial, JSON.stringify(keyring), { mode: 0o600 });
    // Two services starting at once both generate; the first rename wins and both re-read it.
    try {
      await writeFile(file, '', { flag: 'wx', mode: 0o600 });
      await rename(partial, file);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return JSON.parse(await readFile(file, 'utf8')) as ServiceKeyring;
  }
}
