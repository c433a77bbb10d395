import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * log2 of scrypt's N by default: 2^15 with r=8 is ~32 MiB and about a tenth of a second of CPU per hash,
 * memory-hard enough to make GPU guessing expensive.
 */
export const DEFAULT_PASSWORD_HASH_COST = 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; the default maxmem (32 MiB) is exactly too small for N=2^15, r=8.
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/**
 * Hashes new passwords at one cost (log2 of scrypt's N) and verifies any stored hash at the cost it records,
 * so a changed cost applies to new passwords while the existing ones keep working.
 */
export class Passwords {
  private dummy?: Promise<string>;

  constructor(private readonly cost: number = DEFAULT_PASSWORD_HASH_COST) {}

  /** `scrypt$N$r$p$salt$hash` (base64url), so verification reads the parameters it was made with. */
  async hash(password: string): Promise<string> {
    const params = { N: 2 ** this.cost, r: R, p: P };
    const salt = randomBytes(SALT_LENGTH);
    const hash = await derive(password, salt, params);
    return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !salt || !hash) return false;
    const params = { N: Number(n), r: Number(r), p: Number(p) };
    if (![params.N, params.r, params.p].every((v) => Number.isSafeInteger(v) && v > 0)) return false;
    const expected = Buffer.from(hash, 'base64url');
    const actual = await derive(password, Buffer.from(salt, 'base64url'), params);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /**
   * A hash of a random password, verified against when the email is unknown, so that a log-in for an
   * unknown account costs the same scrypt run as one with a wrong password.
   */
  dummyHash(): Promise<string> {
    this.dummy ??= this.hash(randomBytes(18).toString('base64url'));
    return this.dummy;
  }
}
