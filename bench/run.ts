/**
 * `npm run bench`: the public federation benchmark against Brigade's gateway and its peers.
 *
 *   npm run bench -- [--quick] [--only apollo,floor] [--warmup 10] [--runs 3] [--duration 20]
 *                    [--connections 50] [--delay 0] [--no-pin] [--budget-min 10]
 *
 * Gateways: brigade, apollo (the baseline every ratio refers to), hive, hive-jit, floor.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { GUILD_GATEWAYS } from './guild/gateways.js';
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
    },
  });
  const number = (name: string, raw: string | undefined, fallback: number): number => {
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number, got ${raw}`);
    return value;
  };
  const warmupS = number('warmup', values.warmup, values.quick ? 2 : 10);
  const runs = Math.max(1, number('runs', values.runs, values.quick ? 1 : 3));
  const durationS = Math.max(1, number('duration', values.duration, values.quick ? 5 : 20));
  const startedAt = new Date();

  const ids = values.only?.split(',').map((s) => s.trim()) ?? GUILD_GATEWAYS.map((g) => g.id);
  const unknown = ids.filter((id) => !GUILD_GATEWAYS.some((g) => g.id === id));
  if (unknown.length > 0) throw new Error(`unknown gateway(s) ${unknown.join(', ')}; known: ${GUILD_GATEWAYS.map((g) => g.id).join(', ')}`);
  // The baseline always runs: every ratio is to it, measured in the same session.
  const selected = GUILD_GATEWAYS.filter((g) => ids.includes(g.id) || g.id === 'apollo');

  const pin = !values['no-pin'] && hasTaskset() && cpus().length >= 2;
  if (pin) pinSelf('0');
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
    deadline: startedAt.getTime() + number('budget-min', values['budget-min'], 10) * 60_000,
    log,
  });

  const table = markdownTable(rows, 'apollo');
  const date = startedAt.toISOString().slice(0, 10);
  const machine = hostname();
  const header = [
    `# Public federation benchmark (TestQuery), ${date} on ${machine}`,
    '',
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}. ${pin ? 'Gateway pinned to CPU 1 (`taskset -c 1`), subgraphs (memoised) and autocannon on CPU 0.' : 'Unpinned.'} ` +
      `${values.connections} connections, closed loop, pipelining 1, timeout 30 s; warm-up ${warmupS} s, median of ${runs} × ${durationS} s; ` +
      `subgraph delay ${values.delay} ms. Every response sampled is checked deep-equal against expected-response.min.json; a row with any error or mismatch is VOID.` +
      (values.quick ? ' **Quick smoke run: not a measurement.**' : ''),
    '',
  ].join('\n');
  const markdown = `${header}\n${table}\n`;
  console.log(`\n${markdown}`);
  const resultsDir = new URL('./results/', import.meta.url);
  mkdirSync(resultsDir, { recursive: true });
  const base = `${date}-${machine}${values.quick ? '-quick' : ''}`;
  writeFileSync(new URL(`${base}.md`, resultsDir), markdown);
  writeFileSync(
    new URL(`${base}.json`, resultsDir),
    JSON.stringify({ startedAt, node: process.version, machine, options: { warmupS, runs, durationS, ...values }, rows }, null, 2),
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
