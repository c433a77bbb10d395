/**
 * Brigade's six subgraphs in one process (startStack from @brigade/testing, each with its own fresh database), for
 * the bench to put a separately started gateway in front of. Prints one line `STACK <json>` with the subgraph URLs,
 * the gateway's signing key and the trusted keys, then runs until SIGTERM.
 *
 *   node --import tsx bench/stack/subgraphs.ts [--database-url postgres://…] [--data-dir <folder>]   (default: in-memory PGlite)
 */
import { subgraphUrlVariable } from '@brigade/platform';
import { startStack } from '@brigade/testing';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'database-url': { type: 'string' }, 'data-dir': { type: 'string' } } });
const stack = await startStack({
  databaseUrl: values['database-url'] ?? null,
  // PGlite in data folders (as deployed) instead of memory; PGLITE_FSYNC from the environment says whether
  // each commit is synced to disk.
  dataDir: values['data-dir'],
  env: process.env.PGLITE_FSYNC ? { PGLITE_FSYNC: process.env.PGLITE_FSYNC } : {},
  // The in-process gateway startStack always adds is not measured; it only must not poll the subgraphs often.
  serviceEnv: { gateway: { HEALTH_CHECK_INTERVAL_MS: '60000' } },
});
const urls: Record<string, string> = {};
for (const [name, service] of Object.entries(stack.services)) {
  if (name !== 'gateway') urls[subgraphUrlVariable(name)] = service.url;
}
console.log(
  `STACK ${JSON.stringify({ urls, signingKey: stack.keyring.privateKeys.gateway, trusted: stack.keyring.trusted, admin: stack.admin })}`,
);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  stack.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
