/**
 * `npm run bench`: the public federation benchmark against Brigade's gateway and its peers.
 *
 *   npm run bench -- [--scenario all|guild|brigade|memory|workers|startup|live] [--quick] [--only apollo,floor] [--warmup 10]
 *                    [--runs 3] [--duration 20] [--connections 50] [--delay 0] [--no-pin] [--budget-min 10]
 *                    [--memory-requests 100000] [--memory-max-s 120] [--overhead-samples 300]
 *                    [--compare <checkout dir>] [--processes 1,6] [--warm-runs 2] [--repeat 3] [--keep-tmp]
 *                    [--subscribers 2000] [--customers 100] [--orders-per-second 10]
 *
 * Gateways: brigade, apollo (the baseline every ratio refers to), hive, hive-jit, floor. `all` = guild, brigade
 * and memory (workers is separate: it needs both cores for the gateway; startup too: it measures `npm start`,
 * unpinned, optionally next to another checkout given by --compare; live too: subscriptions, see live.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { memoryTable, runBrigadeScenarios, runMemoryScenario, scenarioTable } from './brigade-scenarios.js';
import { GUILD_GATEWAYS } from './guild/gateways.js';
import { runWorkersScenario, workersTable } from './workers.js';
import { THIS_CHECKOUT, runStartupScenario, startupSummary, startupTable } from './startup.js';
import { liveTable, runLiveScenario } from './live.js';
import { runGuildScenario } from './guild/scenario.js';
import { hasTaskset, pinSelf, stopAll } from './lib/proc.js';
import { markdownTable } from './lib/report.js';

const log = (line: string): void => console.log(line);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      warmup: { type: 'string' },
      runs: { type: 'string' },
      duration: { type: 'string' },
      connections: { type: 'string', default: '50' },
      delay: { type: 'string', default: process.env.SUBGRAPH_DELAY_MS ?? '0' },
      'no-pin': { type: 'boolean', default: false },
      'budget-min': { type: 'string', default: '10' },
      scenario: { type: 'string', default: 'all' },
      'memory-requests': { type: 'string', default: '100000' },
      'memory-max-s': { type: 'string' },
      'overhead-samples': { type: 'string' },
      compare: { type: 'string' },
      processes: { type: 'string', default: '1' },
      'warm-runs': { type: 'string', default: '2' },
      repeat: { type: 'string', default: '1' },
      'keep-tmp': { type: 'boolean', default: false },
      subscribers: { type: 'string' },
      customers: { type: 'string' },
      'orders-per-second': { type: 'string' },
    },
  });
  const scenarios = new Set(values.scenario === 'all' ? ['guild', 'brigade', 'memory'] : values.scenario!.split(','));
  for (const scenario of scenarios) {
    if (!['guild', 'brigade', 'memory', 'workers', 'startup', 'live'].includes(scenario)) {
      throw new Error(`unknown --scenario ${scenario}; known: all, guild, brigade, memory, workers, startup, live`);
    }
  }
  const number = (name: string, raw: string | undefined, fallback: number): number => {
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number, got ${raw}`);
    return value;
  };
  const warmupS = number('warmup', values.warmup, values.quick ? 2 : 10);
  const runs = Math.max(1, number('runs', values.runs, values.quick ? 1 : 3));
  const durationS = Math.max(1, number('duration', values.duration, values.quick ? 5 : 20));
  const startedAt = new Date();
  const loadAtStart = formatLoad();

  const ids = values.only?.split(',').map((s) => s.trim()) ?? GUILD_GATEWAYS.map((g) => g.id);
  const unknown = ids.filter((id) => !GUILD_GATEWAYS.some((g) => g.id === id));
  if (unknown.length > 0) throw new Error(`unknown gateway(s) ${unknown.join(', ')}; known: ${GUILD_GATEWAYS.map((g) => g.id).join(', ')}`);
  // The baseline always runs: every ratio is to it, measured in the same session.
  const selected = GUILD_GATEWAYS.filter((g) => ids.includes(g.id) || g.id === 'apollo');

  // `npm start` is measured as a user runs it: its processes must not inherit a pinned CPU.
  const pin = !values['no-pin'] && hasTaskset() && cpus().length >= 2 && !scenarios.has('startup');
  if (pin) pinSelf('0');
  const budgetMs = number('budget-min', values['budget-min'], 10) * 60_000;
  const sections: string[] = [];
  const date = startedAt.toISOString().slice(0, 10);
  const machine = hostname();
  const placement = pin ? 'Gateway pinned to CPU 1 (`taskset -c 1`), subgraphs and autocannon on CPU 0.' : 'Unpinned.';
  const raw: Record<string, unknown> = {};

  if (scenarios.has('guild')) {
    log(
      `guild benchmark: ${selected.map((g) => g.id).join(', ')}; ${values.connections} connections, warm-up ${warmupS} s, ` +
        `${runs} × ${durationS} s, subgraph delay ${values.delay} ms, ${pin ? 'gateway on CPU 1, subgraphs + load on CPU 0' : 'unpinned'}`,
    );

    const rows = await runGuildScenario({
      gateways: selected,
      warmupS,
      runs,
      durationS,
      connections: number('connections', values.connections, 50),
      timeoutS: 30,
      delayMs: number('delay', values.delay, 0),
      gatewayCpus: pin ? '1' : undefined,
      subgraphCpus: pin ? '0' : undefined,
      // The guild scenario leaves a quarter of the budget to the others when they run too.
      deadline: startedAt.getTime() + (scenarios.size > 1 ? budgetMs * 0.72 : budgetMs),
      log,
    });
    raw.guild = rows;
    sections.push(
      [
        `## Public federation benchmark (TestQuery)`,
        '',
        `${placement} Guild subgraphs memoised. ` +
          `${values.connections} connections, closed loop, pipelining 1, timeout 30 s; warm-up ${warmupS} s, median of ${runs} × ${durationS} s; ` +
          `subgraph delay ${values.delay} ms. Every response sampled is checked deep-equal against expected-response.min.json; a row with any error or mismatch is VOID.`,
        '',
        markdownTable(rows, 'apollo'),
      ].join('\n'),
    );
  }

  const left = (): number => startedAt.getTime() + budgetMs - Date.now();
  if (scenarios.has('brigade')) {
    const brigadeRows = await runBrigadeScenarios({
      warmupS: values.quick ? 2 : 3,
      runs: 1,
      durationS: values.quick ? 5 : 10,
      connections: number('connections', values.connections, 50),
      overheadSamples: number('overhead-samples', values['overhead-samples'], values.quick ? 100 : 300),
      gatewayCpus: pin ? '1' : undefined,
      subgraphCpus: pin ? '0' : undefined,
      log,
    });
    raw.brigade = brigadeRows;
    sections.push(
      [
        `## Brigade scenarios (real stack, in-memory PGlite)`,
        '',
        `${placement} Six subgraphs in one process. Load: ${values.connections} connections, closed loop, ${values.quick ? 2 : 3} s warm-up, 1 × ${values.quick ? 5 : 10} s. ` +
          "Overhead: the same request one at a time through the gateway and, alternately, its plan's subgraph requests " +
          "(captured from Apollo's planner, credentials minted with the gateway's key) sent directly in plan order " +
          "(sequences wait, parallel fetches overlap: the subgraphs' critical path); p50 of each, difference = the gateway's own cost.",
        '',
        scenarioTable(brigadeRows),
      ].join('\n'),
    );
  }
  if (scenarios.has('memory')) {
    const maxS = number('memory-max-s', values['memory-max-s'], Math.max(30, Math.min(180, (left() - 45_000) / 1000)));
    const memory = await runMemoryScenario({
      requests: number('memory-requests', values['memory-requests'], 100_000),
      maxS,
      connections: number('connections', values.connections, 50),
      gatewayCpus: pin ? '1' : undefined,
      subgraphCpus: pin ? '0' : undefined,
      log,
    });
    raw.memory = memory;
    sections.push(
      [
        `## Memory (menu query)`,
        '',
        `${placement} ${memory.targetRequests} requests wanted, capped at ${maxS.toFixed(0)} s to keep the run bounded; gateway RSS sampled every second; ` +
          'growth over the second half = (RSS at the end − RSS at half time) / RSS at half time.',
        '',
        memoryTable(memory),
      ].join('\n'),
    );
  }
  if (scenarios.has('workers')) {
    const workers = await runWorkersScenario({
      warmupS: values.quick ? 2 : 5,
      runs: values.quick ? 1 : 2,
      durationS: values.quick ? 5 : 15,
      connections: number('connections', values.connections, 50),
      log,
    });
    raw.workers = workers;
    sections.push(
      [
        '## Multi-core: GATEWAY_WORKERS (public scenario, unpinned)',
        '',
        `Brigade's gateway with 1 then 2 workers, nothing pinned (subgraphs and load share the same 2 cores), ${values.connections} connections, ` +
          `median of ${values.quick ? 1 : 2} × ${values.quick ? 5 : 15} s. A relative check only: on this 2-core machine the workers compete with the subgraphs and the load generator.`,
        '',
        workersTable(workers),
      ].join('\n'),
    );
  }

  if (scenarios.has('startup')) {
    const processes = values.processes!.split(',').map((n) => number('processes', n, 1));
    const checkouts = [{ label: 'this checkout', dir: THIS_CHECKOUT }];
    if (values.compare) checkouts.push({ label: values.compare, dir: values.compare });
    const startup = await runStartupScenario({
      checkouts,
      processes,
      warmRuns: Math.max(1, number('warm-runs', values['warm-runs'], 2)),
      repeats: Math.max(1, number('repeat', values.repeat, 1)),
      timeoutS: 180,
      keepTmp: values['keep-tmp'],
      log,
    });
    raw.startup = startup;
    sections.push(
      [
        '## Startup: `npm start` to the first menu answer',
        '',
        'Unpinned. Time from spawning `npm start` to the first gateway answer to `{ menu { name stock available } }` with 12 items ' +
          '(polled every 100 ms); RSS of every process of the tree 3 s later (/proc VmRSS). Cold = empty data folder, empty TMPDIR ' +
          "(PGlite's cluster template made again) and, in this checkout, every build output deleted (dist/, the web app's): a fresh clone's first start. Warm = a restart on the same data.",
        '',
        startupSummary(startup),
        '',
        startupTable(startup),
      ].join('\n'),
    );
  }

  if (scenarios.has('live')) {
    const subscribers = Math.max(2, number('subscribers', values.subscribers, values.quick ? 200 : 2_000));
    const customers = Math.max(1, number('customers', values.customers, values.quick ? 20 : 100));
    const ordersPerSecond = Math.max(1, number('orders-per-second', values['orders-per-second'], 10));
    const live = await runLiveScenario({
      subscribers,
      customers,
      ordersPerSecond,
      durationS,
      gatewayCpus: pin ? '1' : undefined,
      subgraphCpus: pin ? '0' : undefined,
      log,
    });
    raw.live = live;
    sections.push(
      [
        '## Live updates (subscriptions)',
        '',
        `${placement} Subscribers in the bench process over loopback, half GraphQL over SSE, half Apollo multipart: ` +
          `${customers} customers each watching myOrderUpdates in several tabs, the rest anonymous drinkStockChanged watchers. ` +
          `One-drink orders placed at ${ordersPerSecond}/s for ${durationS} s; each reaches its customer's tabs and every stock watcher. ` +
          "Latency: client arrival − the order's updatedAt (set by the committing statement; same clock). RSS per 1,000: (gateway RSS with every " +
          'subscription open − before) / subscriptions × 1,000. CPU per event: gateway CPU time over the load window / events delivered.',
        '',
        liveTable(live),
      ].join('\n'),
    );
  }

  const header = [
    `# Benchmarks, ${date} on ${machine}`,
    '',
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}. \`npm run bench -- ${process.argv.slice(2).join(' ')}\`` +
      (values.quick ? ' **Quick smoke run: not a measurement.**' : ''),
    '',
    // Other work on the machine stretches every figure: the load says how quiet it was.
    `Load average (1, 5, 15 min) at the start: ${loadAtStart}; at the end: ${formatLoad()}.`,
    '',
  ].join('\n');
  const markdown = `${header}\n${sections.join('\n\n')}\n`;
  console.log(`\n${markdown}`);
  const resultsDir = new URL('./results/', import.meta.url);
  mkdirSync(resultsDir, { recursive: true });
  const base = `${date}-${machine}${values.quick ? '-quick' : ''}${values.scenario === 'all' ? '' : `-${[...scenarios].join('-')}`}`;
  writeFileSync(new URL(`${base}.md`, resultsDir), markdown);
  writeFileSync(
    new URL(`${base}.json`, resultsDir),
    JSON.stringify({ startedAt, node: process.version, machine, options: { warmupS, runs, durationS, ...values }, ...raw }, null, 2),
  );
  log(`written bench/results/${base}.md and .json`);
}

main()
  .catch(async (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopAll();
    process.exit();
  });

function formatLoad(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(', ');
}
