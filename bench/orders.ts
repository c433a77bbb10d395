/**
 * `npm run bench:orders`: concurrent customers place orders through the gateway for a fixed time, against in-memory
 * PGlite and, when TEST_DATABASE_URL or DATABASE_URL is set, PostgreSQL. Prints orders/s and p50/p99, then checks
 * that no unit of stock was lost or invented: for every item, stock now + units in PLACED orders = stock before.
 *
 * Engines: `pglite` (in memory), `pglite-disk` (data folders, fsync off: development's default), `pglite-fsync` (data
 * folders, every commit synced to disk: production's default), `postgres`.
 *
 *   npm run bench:orders -- [--duration 20] [--clients 20] [--engine pglite,pglite-disk,pglite-fsync,postgres] [--no-pin]
 */
import { SEED_MENU } from '@brigade/menu';
import type { GraphQLClient, GraphQLResult } from '@brigade/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hasTaskset, pinSelf, stopAll } from './lib/proc.js';
import { PLACE_ORDER_MUTATION, restockAll, startBrigadeStack } from './stack/brigade.js';

interface EngineResult {
  engine: string;
  orders: number;
  rejected: number;
  failed: number;
  ordersPerS: number;
  p50Ms: number;
  p99Ms: number;
  mismatches: string[];
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function stockByItem(client: GraphQLClient): Promise<Map<string, number>> {
  const result = await client.query<{ menu: { id: string; stock: number }[] }>('{ menu { id stock } }');
  if (!result.data) throw new Error(`menu failed: ${JSON.stringify(result.errors)}`);
  return new Map(result.data.menu.map((item) => [item.id, item.stock]));
}

interface OrdersPage {
  edges: { node: { lines: { menuItem: { id: string }; quantity: number }[] } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Units of each item in PLACED orders, paged through the staff `orders` query. */
async function soldByItem(client: GraphQLClient, token: string): Promise<Map<string, number>> {
  const sold = new Map<string, number>();
  let after: string | null = null;
  for (;;) {
    const result: GraphQLResult<{ orders: OrdersPage }> = await client.query<{ orders: OrdersPage }>(
      'query($after: String) { orders(status: PLACED, first: 100, after: $after) { edges { node { lines { menuItem { id } quantity } } } pageInfo { hasNextPage endCursor } } }',
      { variables: { after }, token },
    );
    if (!result.data) throw new Error(`orders failed: ${JSON.stringify(result.errors)}`);
    const page = result.data.orders;
    for (const { node } of page.edges)
      for (const line of node.lines) sold.set(line.menuItem.id, (sold.get(line.menuItem.id) ?? 0) + line.quantity);
    if (!page.pageInfo.hasNextPage) return sold;
    after = page.pageInfo.endCursor;
  }
}

async function runEngine(
  engine: string,
  databaseUrl: string | undefined,
  options: { durationS: number; clients: number; pin: boolean; log: (line: string) => void },
): Promise<EngineResult> {
  const { log } = options;
  log(`${engine}: starting the stack`);
  const dataDir = engine === 'pglite-disk' || engine === 'pglite-fsync' ? await mkdtemp(join(tmpdir(), 'brigade-bench-')) : undefined;
  const stack = await startBrigadeStack({
    databaseUrl,
    dataDir,
    pgliteFsync: dataDir ? engine === 'pglite-fsync' : undefined,
    subgraphCpus: options.pin ? '0' : undefined,
    gatewayCpus: options.pin ? '1' : undefined,
  });
  try {
    const { client } = stack;
    // Enough that most orders succeed, little enough that some items run out and rejections are exercised too.
    await restockAll(client, 2_000);
    const staff = await client.userWithRole('STAFF');
    const initial = await stockByItem(client);
    // One at a time: sign-up runs a memory-hard KDF, and auth sheds concurrent ones on a busy machine.
    const customers = [];
    for (let i = 0; i < options.clients; i++) customers.push(await client.signUp());
    const latencies: number[] = [];
    let orders = 0;
    let rejected = 0;
    let failed = 0;
    let firstFailure: string | undefined;
    const deadline = Date.now() + options.durationS * 1000;
    log(`${engine}: ${options.clients} customers placing orders for ${options.durationS} s`);
    const started = Date.now();
    await Promise.all(
      customers.map(async (customer, c) => {
        for (let i = 0; Date.now() < deadline; i++) {
          const count = 1 + ((c + i) % 3);
          const lines = Array.from({ length: count }, (_, k) => ({
            menuItemId: SEED_MENU[(c * 7 + i * 3 + k * 5) % SEED_MENU.length]!.id,
            quantity: 1 + ((i + k) % 3),
          }));
          const t0 = performance.now();
          const result = await client.query(PLACE_ORDER_MUTATION, { variables: { input: { lines } }, token: customer.accessToken });
          latencies.push(performance.now() - t0);
          const kind = result.data?.placeOrder?.__typename;
          if (kind === 'OrderPlaced') orders++;
          else if (kind === 'OrderRejected') rejected++;
          else {
            failed++;
            firstFailure ??= JSON.stringify(result.errors ?? result.data).slice(0, 300);
          }
        }
      }),
    );
    const elapsedS = (Date.now() - started) / 1000;
    if (firstFailure) log(`${engine}: first failure: ${firstFailure}`);
    const now = await stockByItem(client);
    const sold = await soldByItem(client, staff.accessToken);
    const mismatches: string[] = [];
    for (const item of SEED_MENU) {
      const before = initial.get(item.id) ?? NaN;
      const after = now.get(item.id) ?? NaN;
      const units = sold.get(item.id) ?? 0;
      if (after + units !== before) mismatches.push(`${item.name}: stock ${after} + sold ${units} ≠ initial ${before}`);
    }
    latencies.sort((a, b) => a - b);
    return {
      engine,
      orders,
      rejected,
      failed,
      ordersPerS: orders / elapsedS,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      mismatches,
    };
  } finally {
    await stack.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '20' },
      clients: { type: 'string', default: '20' },
      engine: { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
    },
  });
  const postgresUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  const engines = values.engine?.split(',') ?? ['pglite', ...(postgresUrl ? ['postgres'] : [])];
  if (engines.includes('postgres') && !postgresUrl) throw new Error('--engine postgres needs TEST_DATABASE_URL or DATABASE_URL');
  const pin = !values['no-pin'] && hasTaskset() && cpus().length >= 2;
  if (pin) pinSelf('0');
  const log = (line: string): void => console.log(line);
  const results: EngineResult[] = [];
  for (const engine of engines) {
    results.push(
      await runEngine(engine, engine === 'postgres' ? postgresUrl : undefined, {
        durationS: Math.max(1, Number(values.duration)),
        clients: Math.max(1, Number(values.clients)),
        pin,
        log,
      }),
    );
  }
  const lines = [
    `placeOrder through the gateway, ${values.clients} concurrent customers (closed loop), ${values.duration} s${pin ? '; gateway on CPU 1, subgraphs and clients on CPU 0' : ''}`,
    '',
    '| database | orders placed | orders/s | p50 ms | p99 ms | rejected (out of stock) | failed | stock + sold = initial |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...results.map(
      (r) =>
        `| ${r.engine} | ${r.orders} | ${r.ordersPerS.toFixed(1)} | ${r.p50Ms.toFixed(0)} | ${r.p99Ms.toFixed(0)} | ${r.rejected} | ${r.failed} | ${r.mismatches.length === 0 ? `yes, all ${SEED_MENU.length} items` : `NO: ${r.mismatches.join('; ')}`} |`,
    ),
  ];
  console.log(`\n${lines.join('\n')}`);
  if (results.some((r) => r.mismatches.length > 0 || r.failed > 0)) process.exitCode = 1;
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAll();
    process.exit();
  });
