import { randomBytes, randomUUID } from 'node:crypto';

/**
 * The shape of API key secrets, shared by auth (which issues them) and the gateway (which refuses a
 * malformed one before asking auth): `brg_<key id: 32 hex>_<secret: 43 base64url chars = 256 random bits>`.
 * The prefix lets secret scanners recognise a leaked key; the id finds its row in one indexed lookup;
 * only a hash of the whole string is stored.
 */
export const API_KEY_PREFIX = 'brg_';
const SHAPE = /^brg_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface NewApiKeySecret {
  /** The key's id (a UUID), as the API shows it. */
  readonly id: string;
  /** Shown once to its creator; never stored. */
  readonly secret: string;
}

export function generateApiKeySecret(): NewApiKeySecret {
  const id = randomUUID();
  return { id, secret: `${API_KEY_PREFIX}${id.replaceAll('-', '')}_${randomBytes(32).toString('base64url')}` };
}

/** The key id a secret names, or undefined when the string is not shaped like a secret (truncated, mangled). */
export function apiKeyIdOf(secret: string): string | undefined {
  const hex = SHAPE.exec(secret)?.[1];
  return hex && `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
