import { migrate, openDatabase } from '@brigade/platform';
import { pathToFileURL } from 'node:url';
import { loadConfig, type AuthConfig } from './config.js';
import { sqlStores } from './data/stores.js';
import { SigningKeys } from './domain/signingKeys.js';

/**
 * `npm run auth:rotate-key`: makes a new access-token signing key current and retires the old one.
 * Running auth servers sign with the new key within seconds, without a restart; the old key stays in the
 * JWKS for ACCESS_TOKEN_TTL_S more, so tokens it signed keep verifying until they expire.
 *
 * On embedded PGlite the data folder belongs to one process: stop auth before rotating (or use
 * PostgreSQL, where the command runs beside live servers).
 */
export async function rotateKey(config: AuthConfig): Promise<string> {
  const db = await openDatabase({
    url: config.databaseUrl,
    schema: config.databaseSchema,
    dataDir: config.pgliteDir,
    durable: config.pgliteFsync,
  });
  try {
    await migrate(db, new URL('../migrations/', import.meta.url));
    return await new SigningKeys(db, sqlStores, config.accessTokenTtlS).rotate();
  } finally {
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const kid = await rotateKey(await loadConfig(process.env));
    console.log(`new access-token signing key: ${kid}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
