import { ConfigError, loadServiceConfig, parseEnv, type Env, type ServiceConfig } from '@brigade/platform/config';
import type { JWK } from 'jose';
import { z } from 'zod';
import { BadUserInputError } from '@brigade/platform/problems';
import { DEFAULT_PASSWORD_HASH_COST } from './domain/passwords.js';
import { validateSignUp } from './domain/validation.js';

export const DEV_ADMIN_EMAIL = 'admin@brigade.local';
export const DEV_ADMIN_PASSWORD = 'brigade-admin';

export interface AuthConfig extends ServiceConfig {
  readonly adminEmail: string;
  readonly adminPassword: string;
  /** True when the development default admin account is used (logged as a warning). */
  readonly adminIsDefault: boolean;
  readonly accessTokenTtlS: number;
  readonly refreshTokenTtlS: number;
  /** log2 of scrypt's N for new password hashes. */
  readonly passwordHashCost: number;
  readonly issuer: string;
  readonly audience: string;
  /** Private JWK to sign access tokens with; undefined = generated on first start and kept in the database. */
  readonly accessTokenKey?: JWK;
}

const seconds = (fallback: number) => z.coerce.number().int().min(1).max(31_536_000).default(fallback);

const authSchema = z.object({
  ADMIN_EMAIL: z.string().min(1).optional(),
  ADMIN_PASSWORD: z.string().min(1).optional(),
  ACCESS_TOKEN_TTL_S: seconds(900),
  REFRESH_TOKEN_TTL_S: seconds(30 * 24 * 3600),
  PASSWORD_HASH_COST: z.coerce.number().int().min(10).max(20).default(DEFAULT_PASSWORD_HASH_COST),
  JWT_ISSUER: z.string().min(1).default('brigade-auth'),
  JWT_AUDIENCE: z.string().min(1).default('brigade'),
  AUTH_SIGNING_KEY: z
    .string()
    .transform((raw, ctx) => {
      try {
        const jwk = JSON.parse(raw) as JWK;
        if (typeof jwk !== 'object' || jwk === null || typeof jwk.d !== 'string') throw new Error();
        return jwk;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a private JWK as JSON' });
        return z.NEVER;
      }
    })
    .optional(),
});

export async function loadConfig(env: Env = process.env): Promise<AuthConfig> {
  const base = await loadServiceConfig('auth', env);
  const own = parseEnv(authSchema, env);
  if (base.production && (!own.ADMIN_EMAIL || !own.ADMIN_PASSWORD)) {
    throw new ConfigError('invalid configuration:\n  ADMIN_EMAIL and ADMIN_PASSWORD are required in production');
  }
  const adminEmail = own.ADMIN_EMAIL ?? DEV_ADMIN_EMAIL;
  const adminPassword = own.ADMIN_PASSWORD ?? DEV_ADMIN_PASSWORD;
  try {
    validateSignUp({ email: adminEmail, password: adminPassword, name: 'Administrator' });
  } catch (error) {
    if (!(error instanceof BadUserInputError)) throw error;
    throw new ConfigError(`invalid configuration:\n  ADMIN_${error.field?.toUpperCase()}: ${error.message}`);
  }
  return {
    ...base,
    adminEmail,
    adminPassword,
    adminIsDefault: !own.ADMIN_EMAIL || !own.ADMIN_PASSWORD,
    accessTokenTtlS: own.ACCESS_TOKEN_TTL_S,
    refreshTokenTtlS: own.REFRESH_TOKEN_TTL_S,
    passwordHashCost: own.PASSWORD_HASH_COST,
    issuer: own.JWT_ISSUER,
    audience: own.JWT_AUDIENCE,
    accessTokenKey: own.AUTH_SIGNING_KEY,
  };
}
