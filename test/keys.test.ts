/**
 * `npm run keys` against what the deployment files consume: the env file fills every required `${VAR:?}`
 * of docker-compose.yml with keys the services accept, and `--k8s` creates every Secret key the manifests
 * reference.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { SERVICES } from '../packages/platform/src/services.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** What `npm run keys` runs: the script's compiled twin (the suite's global set-up builds it). */
const KEYS = ['--conditions=compiled', 'scripts/dist/keys.js'];
const run = (...args: string[]) => execFileSync(process.execPath, [...KEYS, ...args], { cwd: ROOT, encoding: 'utf8' });

/** `NAME='value'` lines, as docker compose reads an env file. */
function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([A-Z][A-Z0-9_]*)='([^']*)'$/);
    if (!m) throw new Error(`not a NAME='value' line: ${line}`);
    env[m[1]!] = m[2]!;
  }
  return env;
}

describe('npm run keys', () => {
  const env = parseEnvFile(run());

  it('sets every variable docker-compose.yml requires', () => {
    const required = new Set(
      [...readFileSync(resolve(ROOT, 'docker-compose.yml'), 'utf8').matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]!),
    );
    expect(required.size).toBeGreaterThan(10);
    for (const name of required) expect(env[name], name).toMatch(/\S/);
  });

  it('gives each service a private key whose public half is in the trusted JWKS, and nothing private there', async () => {
    const trusted = JSON.parse(env.SERVICE_TRUSTED_KEYS!) as { keys: Record<string, string>[] };
    expect(trusted.keys).toHaveLength(SERVICES.length);
    for (const key of trusted.keys) expect(key.d).toBeUndefined();
    const kids = new Set<string>();
    for (const service of SERVICES) {
      const jwk = JSON.parse(env[`${service.toUpperCase()}_SERVICE_KEY`]!) as Record<string, string>;
      expect(jwk.d, service).toBeTruthy();
      await importJWK(jwk, 'EdDSA');
      const published = trusted.keys.find((k) => k.kid === jwk.kid);
      expect(published?.x, service).toBe(jwk.x);
      kids.add(jwk.kid!);
    }
    expect(kids.size).toBe(SERVICES.length);
  });

  it('makes URL-safe passwords that differ per run and per service', () => {
    const passwords = Object.entries(env).filter(([name]) => name.endsWith('PASSWORD'));
    expect(passwords.length).toBe(9);
    for (const [name, value] of passwords) expect(value, name).toMatch(/^[A-Za-z0-9_-]{24,}$/);
    expect(new Set(passwords.map(([, v]) => v)).size).toBe(passwords.length);
    expect(parseEnvFile(run()).POSTGRES_PASSWORD).not.toBe(env.POSTGRES_PASSWORD);
  });

  it('--k8s creates every Secret key the manifests reference', () => {
    const script = run('--k8s', '--postgres', 'db.internal:5432');
    const created = new Map<string, Set<string>>();
    for (const command of script.split(/\n(?=kubectl )/)) {
      const name = command.match(/create secret generic (\S+)/)?.[1];
      if (!name) continue;
      created.set(name, new Set([...command.matchAll(/--from-literal=([A-Z_]+)=/g)].map((m) => m[1]!)));
    }
    const dir = resolve(ROOT, 'deploy/k8s');
    const refs: [string, string][] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const text = readFileSync(resolve(dir, file), 'utf8');
      for (const doc of YAML.parseAllDocuments(text)) {
        JSON.stringify(doc.toJS(), (key, value) => {
          if (key === 'secretKeyRef') refs.push([value.name, value.key]);
          return value;
        });
      }
    }
    expect(refs.length).toBeGreaterThan(10);
    for (const [name, key] of refs) expect(created.get(name)?.has(key), `${name}/${key}`).toBe(true);
    expect(script).toContain("DATABASE_URL='postgres://orders:");
    expect(script).toContain('@db.internal:5432/orders');
  });

  it('refuses an unknown option', () => {
    const result = spawnSync(process.execPath, [...KEYS, '--kubernetes'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
  });
});
