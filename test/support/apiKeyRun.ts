/**
 * A whole run of Brigade that uses an API key every way it can be used (accepted, refused, revoked,
 * truncated, alongside a token), with every service logging at trace level to this process's stdout.
 * It also prints every response body and every service's /metrics, so the parent test can grep one
 * stream for the secret. The secret and key id go to the file named by argv[2], never to stdout.
 */
import { SEED_MENU } from '@brigade/testing';
import { startStack } from '@brigade/testing';
import { writeFile } from 'node:fs/promises';

const out = process.argv[2];
if (!out) throw new Error('usage: apiKeyRun.ts <result file>');

// A revoked key is refused within 1 s instead of the default 5 s bound (apiKeys.e2e pins that): this run only
// needs the refusal in its logs.
const stack = await startStack({
  databaseUrl: null,
  env: { LOG_LEVEL: 'trace' },
  serviceEnv: { gateway: { API_KEY_CACHE_TTL_MS: '1000' } },
});
try {
  const admin = await stack.adminToken();
  const customer = await stack.signUp();
  const coffee = SEED_MENU.find((i) => i.name === 'Coffee')!;
  const placed = await stack.query(
    'mutation($id: ID!) { placeOrder(input: { lines: [{ menuItemId: $id, quantity: 1 }] }) { ... on OrderPlaced { order { id } } } }',
    {
      token: customer.accessToken,
      variables: { id: coffee.id },
    },
  );
  const orderId = placed.data!.placeOrder.order.id as string;
  const created = await stack.query(
    'mutation { createApiKey(input: { name: "Log test", scopes: ["orders:manage"] }) { secret apiKey { id } } }',
    { token: admin },
  );
  const { secret, apiKey } = created.data!.createApiKey as { secret: string; apiKey: { id: string } };
  const key = { 'x-api-key': secret };
  const show = (what: string, result: unknown) => console.log(`RESULT ${what} ${JSON.stringify(result)}`);

  show('orders', await stack.query('{ orders { edges { node { id status } } } }', { headers: key }));
  show(
    'advance',
    await stack.query('mutation($id: ID!) { advanceOrder(id: $id, status: PREPARING) { id status } }', {
      headers: key,
      variables: { id: orderId },
    }),
  );
  show('me', await stack.query('{ me { id } }', { headers: key }));
  show(
    'place',
    await stack.query('mutation($id: ID!) { placeOrder(input: { lines: [{ menuItemId: $id, quantity: 1 }] }) { __typename } }', {
      headers: key,
      variables: { id: coffee.id },
    }),
  );
  show('parse error', await stack.query('{ orders { ', { headers: key }));
  show('with token', await stack.query('{ __typename }', { headers: key, token: admin }));
  show('truncated', await stack.query('{ __typename }', { headers: { 'x-api-key': secret.slice(0, -1) } }));
  show(
    'revoke',
    await stack.query('mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }', { token: admin, variables: { id: apiKey.id } }),
  );
  show('list', await stack.query('{ apiKeys { id name scopes lastUsedAt revokedAt } }', { token: admin }));
  // Past the gateway's cache: the revoked key is refused.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  show('revoked', await stack.query('{ __typename }', { headers: key }));
  for (const service of Object.values(stack.services)) {
    console.log(`METRICS ${service.name}\n${await (await fetch(new URL('/metrics', service.url))).text()}`);
  }
  await writeFile(out, JSON.stringify({ secret, keyId: apiKey.id }));
} finally {
  await stack.stop();
}
