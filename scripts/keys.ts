/**
 * `npm run keys [-- --k8s] [--admin-email a@b] [--postgres host:port] [--redis host:port] [--namespace brigade]`
 * Prints a fresh set of deployment secrets: one Ed25519 private JWK per service (it signs the internal
 * credentials that service mints), the JWKS of all seven public keys, and random passwords.
 *   npm run --silent keys > .env                         the env file docker-compose.yml interpolates
 *   npm run --silent keys -- --k8s > secrets.sh          the `kubectl create secret` commands deploy/k8s references
 * Nothing is written to disk by the script itself: the output is the only copy, so redirect it.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { generateKeyring } from '@brigade/platform/keys';
import { SERVICES, SUBGRAPHS, type ServiceName } from '@brigade/platform/services';

const { values } = parseArgs({
  options: {
    k8s: { type: 'boolean', default: false },
    'admin-email': { type: 'string', default: 'admin@brigade.local' },
    postgres: { type: 'string', default: 'postgres:5432' },
    redis: { type: 'string', default: 'redis:6379' },
    namespace: { type: 'string', default: 'brigade' },
  },
});

/** URL-safe, so passwords embed in connection URLs without escaping. */
const secret = (): string => randomBytes(24).toString('base64url');

/**
 * Single quotes keep JSON verbatim in both a compose env file and a POSIX shell. Every value here is JSON
 * of base64url strings, base64url passwords or an e-mail address; a quote would break that guarantee.
 */
function quote(value: string): string {
  if (value.includes("'")) throw new Error(`refusing to quote a value containing a single quote: ${value}`);
  return `'${value}'`;
}

const upper = (service: ServiceName) => service.toUpperCase();

const keyring = await generateKeyring();
const adminEmail = values['admin-email'];
const trusted = JSON.stringify(keyring.trusted);
const passwords = {
  postgres: secret(),
  redis: secret(),
  admin: secret(),
  db: Object.fromEntries(SUBGRAPHS.map((s) => [s, secret()])) as Record<(typeof SUBGRAPHS)[number], string>,
};

const lines: string[] = [];
if (!values.k8s) {
  lines.push(
    `# Brigade secrets generated ${new Date().toISOString()} by npm run keys. Keep this file out of version control.`,
    '',
    '# Internal service credentials: each service signs with its own key; every service trusts the JWKS.',
  );
  for (const service of SERVICES) {
    lines.push(`${upper(service)}_SERVICE_KEY=${quote(JSON.stringify(keyring.privateKeys[service]))}`);
  }
  lines.push(
    `SERVICE_TRUSTED_KEYS=${quote(trusted)}`,
    '',
    '# The administrator created on the first start of the auth subgraph.',
    `ADMIN_EMAIL=${quote(adminEmail)}`,
    `ADMIN_PASSWORD=${quote(passwords.admin)}`,
    '',
    '# PostgreSQL superuser and one login per service database.',
    `POSTGRES_PASSWORD=${quote(passwords.postgres)}`,
  );
  for (const service of SUBGRAPHS) lines.push(`${upper(service)}_DB_PASSWORD=${quote(passwords.db[service])}`);
  lines.push('', '# Redis (gateway rate limits and persisted queries).', `REDIS_PASSWORD=${quote(passwords.redis)}`);
} else {
  const ns = values.namespace;
  const create = (name: string, literals: Record<string, string>): string =>
    [
      `kubectl -n ${ns} create secret generic ${name}`,
      ...Object.entries(literals).map(([key, value]) => `  --from-literal=${key}=${quote(value)}`),
    ].join(' \\\n');
  lines.push(
    '#!/bin/sh',
    `# Brigade secrets generated ${new Date().toISOString()} by npm run keys -- --k8s; run once, then delete this file.`,
    `# PostgreSQL at ${values.postgres} needs one role and database per service with the passwords below`,
    '# (deploy/postgres/init.sh creates them when given <NAME>_DB_PASSWORD):',
  );
  for (const service of SUBGRAPHS) lines.push(`#   ${upper(service)}_DB_PASSWORD=${passwords.db[service]}`);
  lines.push(
    `# Redis at ${values.redis} must require the password in the gateway's REDIS_URL.`,
    'set -eu',
    `kubectl create namespace ${ns} --dry-run=client -o yaml | kubectl apply -f -`,
    create('brigade-trusted-keys', { SERVICE_TRUSTED_KEYS: trusted }),
    create('brigade-gateway', {
      SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys.gateway),
      REDIS_URL: `redis://:${passwords.redis}@${values.redis}`,
    }),
  );
  for (const service of SUBGRAPHS) {
    lines.push(
      create(`brigade-${service}`, {
        SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys[service]),
        DATABASE_URL: `postgres://${service}:${passwords.db[service]}@${values.postgres}/${service}`,
        ...(service === 'auth' ? { ADMIN_EMAIL: adminEmail, ADMIN_PASSWORD: passwords.admin } : {}),
      }),
    );
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
