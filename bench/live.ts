/**
 * `npm run bench -- --scenario live`: many open subscriptions on one gateway while orders are placed at a steady
 * rate. The real stack (subgraphs in one process, the gateway in its own, production mode), subscribers over
 * loopback from this process through GraphQL over SSE and Apollo's multipart protocol, half each.
 *
 * Subscribers: customers each watching their own orders (`myOrderUpdates`, several tabs per customer) and
 * anonymous menus watching the bar's stock (`drinkStockChanged`). Every order (one drink) produces one event
 * for each tab of its customer and one for every stock watcher.
 *
 * Figures: delivery latency from commit (the order's `updatedAt`, written by the committing statement) to the
 * client; gateway RSS per 1,000 open subscriptions (RSS with them open − RSS before, same process); gateway CPU
 * per delivered event over the load window.
 */
import { SEED_MENU, subscribe, type LiveStream, type SignedInUser } from '@brigade/testing';
import { cpuMs, processTree } from './lib/sampler.js';
import { PLACE_ORDER_MUTATION, restockAll, startBrigadeStack } from './stack/brigade.js';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

export interface LiveOptions {
  subscribers: number;
  customers: number;
  ordersPerSecond: number;
  durationS: number;
  gatewayCpus?: string;
  subgraphCpus?: string;
  log: (line: string) => void;
}

export interface LiveResultRow {
  subscribers: number;
  customers: number;
  ordersPlaced: number;
  ordersRejected: number;
  ordersPerSecond: number;
  eventsDelivered: number;
  orderEvents: number;
  stockEvents: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  rssBeforeMb: number;
  rssOpenMb: number;
  rssPer1000Mb: number;
  cpuMsPerEvent: number;
  gatewayCpuPercent: number;
  /** The machine's 1-minute load average at the end (other work on the machine skews every figure). */
  loadAverage: number;
}

const MY_ORDERS = 'subscription Mine { myOrderUpdates { id status version updatedAt lines { menuItem { name } } } }';
const STOCK = 'subscription Stock { drinkStockChanged { id name stock available } }';

function rssMb(pid: number): number {
  return processTree(pid).reduce((sum, p) => {
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      return sum + (match ? Number(match[1]) / 1024 : 0);
    } catch {
      return sum;
    }
  }, 0);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runLiveScenario(options: LiveOptions): Promise<LiveResultRow> {
  const { log } = options;
  const stack = await startBrigadeStack({
    subgraphCpus: options.subgraphCpus,
    gatewayCpus: options.gatewayCpus,
    env: { SUBSCRIPTIONS_PER_VIEWER: String(options.subscribers), LOG_LEVEL: 'warn' },
  });
  const streams: LiveStream[] = [];
  try {
    await restockAll(stack.client, 100_000);
    log(`live: signing up ${options.customers} customers`);
    const customers: SignedInUser[] = [];
    for (let i = 0; i < options.customers; i++) customers.push(await stack.client.signUp());
    const drink = SEED_MENU.find((item) => item.station === 'bar' && item.name === 'Coffee')!;
    await sleep(2_000);
    const pid = stack.gateway.pid;
    const rssBeforeMb = rssMb(pid);

    const latencies: number[] = [];
    let orderEvents = 0;
    let stockEvents = 0;
    let errorResults = 0;
    const tabs = Math.floor(options.subscribers / 2 / options.customers);
    const watchers = options.subscribers - tabs * options.customers;
    log(`live: opening ${tabs * options.customers} myOrderUpdates (${tabs} per customer) and ${watchers} drinkStockChanged`);
    const consume = (stream: LiveStream, onEvent: (data: Record<string, any>) => void) => {
      void (async () => {
        for (;;) {
          const result = await stream.next(3_600_000).catch(() => 'end' as const);
          if (result === 'end') return;
          if (result.errors?.length) {
            errorResults++;
            if (errorResults <= 3) log(`live: error event: ${JSON.stringify(result.errors)}`);
            continue;
          }
          if (result.data) onEvent(result.data);
        }
      })();
    };
    const open = async (index: number, make: () => Promise<LiveStream>, onEvent: (data: Record<string, any>) => void) => {
      const stream = await make();
      if (stream.status !== 200) throw new Error(`subscription ${index} refused: ${stream.status}`);
      streams.push(stream);
      consume(stream, onEvent);
    };
    const onOrder = (data: Record<string, any>) => {
      const arrived = performance.timeOrigin + performance.now();
      orderEvents++;
      latencies.push(arrived - Date.parse(data.myOrderUpdates.updatedAt));
    };
    const onStock = () => void stockEvents++;
    let opened = 0;
    const batch: Promise<void>[] = [];
    for (const customer of customers) {
      for (let t = 0; t < tabs; t++) {
        const transport = opened++ % 2 === 0 ? 'sse' : 'multipart';
        batch.push(open(opened, () => subscribe(stack.gatewayUrl, { transport, token: customer.accessToken, query: MY_ORDERS }), onOrder));
        if (batch.length >= 50) await Promise.all(batch.splice(0));
      }
    }
    for (let w = 0; w < watchers; w++) {
      const transport = opened++ % 2 === 0 ? 'sse' : 'multipart';
      batch.push(open(opened, () => subscribe(stack.gatewayUrl, { transport, query: STOCK }), onStock));
      if (batch.length >= 50) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
    await sleep(3_000);
    const rssOpenMb = rssMb(pid);
    log(`live: ${streams.length} open; gateway RSS ${rssBeforeMb.toFixed(0)} → ${rssOpenMb.toFixed(0)} MB`);

    const cpuStart = cpuMs(pid);
    const started = performance.now();
    const intervalMs = 1000 / options.ordersPerSecond;
    let placed = 0;
    let rejected = 0;
    const inFlight: Promise<void>[] = [];
    while (performance.now() - started < options.durationS * 1000) {
      const customer = customers[placed % customers.length]!;
      inFlight.push(
        stack.client
          .query(PLACE_ORDER_MUTATION, {
            token: customer.accessToken,
            variables: { input: { lines: [{ menuItemId: drink.id, quantity: 1 }] } },
          })
          .then((r) => {
            if (r.data?.placeOrder?.__typename === 'OrderPlaced') return;
            // A refusal under load (a station past its deadline) places nothing and sends no event: counted, not fatal.
            rejected++;
            if (rejected <= 3) log(`live: order not placed: ${JSON.stringify(r.errors ?? r.data)}`);
          }),
      );
      placed++;
      const next = started + placed * intervalMs;
      await sleep(Math.max(0, next - performance.now()));
    }
    await Promise.all(inFlight);
    // Let the last events arrive.
    const expected = (placed - rejected) * (tabs + watchers);
    const drainDeadline = performance.now() + 15_000;
    while (orderEvents + stockEvents < expected && performance.now() < drainDeadline) await sleep(100);
    const elapsedMs = performance.now() - started;
    const cpuUsed = cpuMs(pid) - cpuStart;
    const delivered = orderEvents + stockEvents;
    latencies.sort((a, b) => a - b);
    log(`live: ${placed} orders (${rejected} not placed), ${delivered}/${expected} events delivered, ${errorResults} with errors`);
    return {
      subscribers: streams.length,
      customers: options.customers,
      ordersPlaced: placed - rejected,
      ordersRejected: rejected,
      ordersPerSecond: options.ordersPerSecond,
      eventsDelivered: delivered,
      orderEvents,
      stockEvents,
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      latencyMaxMs: latencies.at(-1) ?? Number.NaN,
      rssBeforeMb,
      rssOpenMb,
      rssPer1000Mb: ((rssOpenMb - rssBeforeMb) * 1000) / Math.max(1, streams.length),
      cpuMsPerEvent: cpuUsed / Math.max(1, delivered),
      gatewayCpuPercent: (cpuUsed / elapsedMs) * 100,
      loadAverage: loadavg()[0]!,
    };
  } finally {
    for (const stream of streams) stream.close();
    await stack.stop();
  }
}

export function liveTable(row: LiveResultRow): string {
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  return [
    '| subscribers | orders (rate) | events delivered | commit→client p50 | p99 | max | gateway RSS before → open | RSS per 1,000 subs | gateway CPU per event | gateway CPU | load avg |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${row.subscribers} (${row.customers} customers) | ${row.ordersPlaced} placed, ${row.ordersRejected} refused (${row.ordersPerSecond}/s) | ${row.eventsDelivered} (${row.orderEvents} order, ${row.stockEvents} stock) | ` +
      `${f(row.latencyP50Ms)} ms | ${f(row.latencyP99Ms)} ms | ${f(row.latencyMaxMs)} ms | ${f(row.rssBeforeMb, 0)} → ${f(row.rssOpenMb, 0)} MB | ` +
      `${f(row.rssPer1000Mb)} MB | ${f(row.cpuMsPerEvent, 3)} ms | ${f(row.gatewayCpuPercent, 0)} % | ${f(row.loadAverage)} |`,
  ].join('\n');
}
