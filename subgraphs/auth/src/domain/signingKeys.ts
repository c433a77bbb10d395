import type { Database } from '@brigade/platform';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';
import type { AuthStores } from './ports.js';

/** How long the current key id is trusted before the database is asked again (another process may rotate). */
const CURRENT_KEY_CACHE_MS = 2_000;

export interface ActiveKey {
  readonly kid: string;
  readonly alg: string;
  readonly key: CryptoKey | Uint8Array;
}

interface KeyPairJwk {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/** JWS algorithm for a private JWK: Ed25519 → EdDSA, P-256 → ES256; anything else is refused. */
function algorithmOf(jwk: JWK): 'EdDSA' | 'ES256' {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  throw new Error('signing key must be an Ed25519 (OKP) or P-256 (EC) private JWK');
}

export async function generateSigningKey(): Promise<KeyPairJwk> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return describe(await exportJWK(privateKey), await exportJWK(publicKey));
}

/** Completes a configured private JWK: its public half, `alg`, `use`, and a `kid` (its thumbprint unless given). */
export async function fromPrivateJwk(privateJwk: JWK): Promise<KeyPairJwk> {
  algorithmOf(privateJwk);
  if (typeof privateJwk.d !== 'string') throw new Error('signing key must be a private JWK (with "d")');
  const { d: _d, key_ops: _ops, ext: _ext, ...publicJwk } = privateJwk;
  return describe(privateJwk, publicJwk);
}

async function describe(privateJwk: JWK, publicJwk: JWK): Promise<KeyPairJwk> {
  const alg = algorithmOf(privateJwk);
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  const meta = { kid, alg, use: 'sig' };
  const { key_ops: _a, ext: _b, ...pub } = publicJwk;
  const { key_ops: _c, ext: _d, ...priv } = privateJwk;
  return { kid, privateJwk: { ...priv, ...meta }, publicJwk: { ...pub, ...meta } };
}

/**
 * The access-token signing keys, kept in the auth database so every replica signs with the same key and
 * a rotation reaches running servers without a restart. Retired keys stay published for `graceS` (the
 * access-token lifetime), so tokens they signed keep verifying until they expire.
 */
export class SigningKeys {
  private cached?: { kid: string; at: number };
  private readonly imported = new Map<string, Promise<ActiveKey>>();

  constructor(
    private readonly db: Database,
    private readonly stores: AuthStores,
    private readonly graceS: number,
  ) {}

  /**
   * Makes sure a current key exists: the configured one when it was never seen before (it then replaces
   * the current key), otherwise a freshly generated one when the table has none.
   */
  async ensure(configured?: JWK): Promise<string> {
    const wanted = configured ? await fromPrivateJwk(configured) : undefined;
    return this.db.transaction(async (tx) => {
      // Replicas starting together must not each retire the other's brand-new key.
      const repo = this.stores.signingKeys(tx);
      await repo.lockForRotation();
      if (wanted) {
        if (!(await repo.exists(wanted.kid))) await repo.rotateTo(wanted);
      } else if (!(await repo.current())) {
        await repo.rotateTo(await generateSigningKey());
      }
      const current = await repo.current();
      this.cached = undefined;
      return current!.kid;
    });
  }

  /** Generates a new key, makes it current and retires the previous one at now. Returns the new kid. */
  async rotate(): Promise<string> {
    const key = await generateSigningKey();
    await this.db.transaction(async (tx) => {
      const repo = this.stores.signingKeys(tx);
      await repo.lockForRotation();
      await repo.rotateTo(key);
    });
    this.cached = undefined;
    return key.kid;
  }

  /** The key to sign with now. */
  async current(): Promise<ActiveKey> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < CURRENT_KEY_CACHE_MS) {
      const hit = this.imported.get(this.cached.kid);
      if (hit) return hit;
    }
    const record = await this.stores.signingKeys(this.db).current();
    if (!record) throw new Error('no current signing key');
    this.cached = { kid: record.kid, at: now };
    let active = this.imported.get(record.kid);
    if (!active) {
      const alg = algorithmOf(record.privateJwk);
      active = importJWK(record.privateJwk, alg).then((key) => ({ kid: record.kid, alg, key }));
      active.catch(() => this.imported.delete(record.kid));
      // Keys are few (one per rotation); forgetting all is simpler than tracking which are retired.
      if (this.imported.size > 16) this.imported.clear();
      this.imported.set(record.kid, active);
    }
    return active;
  }

  async jwks(): Promise<JSONWebKeySet> {
    return { keys: await this.stores.signingKeys(this.db).published(this.graceS) };
  }
}
