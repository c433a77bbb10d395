/**
 * `npm run bench -- --scenario startup`: how long `npm start` takes to its first menu answer and how much
 * memory the stack then holds, the way a user meets it.
 *
 * Each run spawns `npm start` in a checkout (this one, or `--compare <dir>` too: another checkout measured
 * the same way in the same session, e.g. main's tsx start) on free ports, polls the gateway with the menu
 * query every 100 ms from the moment of the spawn, and reads the RSS of every process of the tree
 * (/proc/<pid>/status) 3 s after the first answer. Cold: an empty data folder, an empty temp folder (so
 * PGlite's cluster template is made again, as on a machine that never ran Brigade) and, in this checkout,
 * every build output deleted (packages' dist/, the web app's): a fresh clone's first start. Warm: the same data folder again (a restart).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, freePort, startProcess } from './lib/proc.js';
import { processTree } from './lib/sampler.js';

const SERVICES = ['gateway', 'auth', 'menu', 'orders', 'kitchen', 'bar', 'bakery'];
const MENU = JSON.stringify({ query: '{ menu { name stock available } }' });

export interface ProcessRss {
  /** What runs: `npm start`, the launcher, a subgraph host, a service's main… */
  label: string;
  pid: number;
  rssMb: number;
}

export interface StartupRun {
  checkout: string;
  variant: string;
  kind: 'cold' | 'warm';
  /** Spawn of `npm start` → first menu answer with 12 items. */
  firstAnswerMs: number;
  /**
   * CPU time the tree had used by then (user + system, with its reaped children's: the build, npm's own):
   * what a loaded machine stretches least; on an idle one the wall time cannot go below CPU / cores.
   */
  cpuMs: number;
  processes: ProcessRss[];
  /** Every process of the tree, `npm` itself included. */
  totalRssMb: number;
  /** Without the npm CLI process (and its `sh`), which is not Brigade's. */
  stackRssMb: number;
}

export interface StartupOptions {
  /** Checkouts to measure: label → directory. */
  checkouts: { label: string; dir: string }[];
  /** START_PROCESSES values to try in checkouts that know it (this one); others run as they are. */
  processes: number[];
  warmRuns: number;
  /** How many times each checkout's cold start and its warm restarts are measured (a loaded machine varies). */
  repeats: number;
  timeoutS: number;
  /** Keep the machine's TMPDIR, so a cold start reuses PGlite's cluster template if it exists. */
  keepTmp?: boolean;
  log: (line: string) => void;
}

function labelOf(pid: number): string {
  let args: string[] = [];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return 'gone';
  }
  if (args[0] && basename(args[0]) === 'sh') return 'sh';
  if (args.some((a) => a === 'npm' || a.endsWith('/npm') || a.endsWith('npm-cli.js'))) return 'npm start (npm CLI)';
  if (args.some((a) => basename(a) === 'esbuild')) return 'esbuild (tsx)';
  const script = args.find((a, i) => i > 0 && !a.startsWith('-') && /\.(m?[jt]s)$/.test(a));
  if (!script)
    return args
      .map((a) => basename(a))
      .join(' ')
      .slice(0, 60);
  const short = script.replace(/^.*?\/((?:gateway|subgraphs|scripts|packages)\/)/, '$1');
  return short.includes('station/') ? `${short} (${stationOf(pid)})` : short;
}

function stationOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').match(/(?:^|\0)STATION=([a-z]+)/)?.[1] ?? '?';
  } catch {
    return '?';
  }
}

const CLOCK_TICKS = 100;

/** utime + stime + cutime + cstime of one process, in ms (fields 14–17 of /proc/<pid>/stat). */
function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

function rssMb(pid: number): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

async function menuAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: MENU,
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await response.json()) as { data?: { menu?: unknown[] } };
    return (body.data?.menu?.length ?? 0) === 12;
  } catch {
    return false;
  }
}

async function oneStart(options: {
  dir: string;
  dataDir: string;
  tmp?: string;
  env: NodeJS.ProcessEnv;
  timeoutS: number;
  checkout: string;
  variant: string;
  kind: 'cold' | 'warm';
}): Promise<StartupRun> {
  const ports: Record<string, string> = {};
  for (const service of SERVICES) ports[`${service.toUpperCase()}_PORT`] = String(await freePort());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    ...ports,
    DATA_DIR: options.dataDir,
    ...(options.tmp ? { TMPDIR: options.tmp } : {}),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  delete env.NODE_ENV;
  delete env.TEST_DATABASE_URL;
  const url = `http://127.0.0.1:${ports.GATEWAY_PORT}/graphql`;
  const started = performance.now();
  const proc = startProcess({ name: `npm start (${options.checkout})`, command: 'npm', args: ['start'], cwd: options.dir, env });
  try {
    const deadline = started + options.timeoutS * 1000;
    for (;;) {
      if (proc.exited) throw new Error(`npm start exited before answering:\n${proc.output()}`);
      if (await menuAnswers(url)) break;
      if (performance.now() > deadline) throw new Error(`no menu answer within ${options.timeoutS} s:\n${proc.output()}`);
      await sleep(100);
    }
    const firstAnswerMs = Math.round(performance.now() - started);
    const cpuMs = Math.round(processTree(proc.pid).reduce((sum, pid) => sum + cpuOf(pid), 0));
    // Until the web app is built and served too (bounded): a warm restart then finds it built, as a user's
    // does, and RSS is the settled stack's, not a build tool's.
    const settleBy = performance.now() + 120_000;
    while (!proc.output().includes('Brigade is ready in') && !proc.exited && performance.now() < settleBy) await sleep(250);
    await sleep(1_000);
    const processes = processTree(proc.pid).map((pid) => ({ pid, label: labelOf(pid), rssMb: rssMb(pid) }));
    const totalRssMb = processes.reduce((sum, p) => sum + p.rssMb, 0);
    const stackRssMb = processes.filter((p) => p.label !== 'sh' && !p.label.startsWith('npm start')).reduce((sum, p) => sum + p.rssMb, 0);
    return {
      checkout: options.checkout,
      variant: options.variant,
      kind: options.kind,
      firstAnswerMs,
      cpuMs,
      processes,
      totalRssMb,
      stackRssMb,
    };
  } finally {
    await proc.stop(15_000);
  }
}

export async function runStartupScenario(options: StartupOptions): Promise<StartupRun[]> {
  const runs: StartupRun[] = [];
  for (const checkout of options.checkouts) {
    const knowsProcesses = existsSync(join(checkout.dir, 'scripts', 'subgraph-host.ts'));
    const variants = knowsProcesses
      ? options.processes.map((n) => ({ name: `START_PROCESSES=${n}`, env: { START_PROCESSES: String(n) } }))
      : [{ name: 'as is', env: {} }];
    for (const variant of Array.from({ length: options.repeats }, () => variants).flat()) {
      const dataDir = mkdtempSync(join(tmpdir(), 'brigade-startup-data-'));
      const tmp = mkdtempSync(join(tmpdir(), 'brigade-startup-tmp-'));
      try {
        // A fresh clone has built nothing: every package's compiled output, the composition stamp and the web
        // app's build go, so `npm start` does all of it again.
        if (knowsProcesses) {
          const projects = [
            'gateway',
            'scripts',
            ...['packages', 'subgraphs'].flatMap((dir) => readdirSync(join(checkout.dir, dir)).map((name) => join(dir, name))),
          ];
          for (const output of [...projects.map((project) => join(project, 'dist')), 'clients/web/dist', 'clients/web/dist-server']) {
            rmSync(join(checkout.dir, output), { recursive: true, force: true });
          }
        }
        for (let i = 0; i <= options.warmRuns; i++) {
          const kind = i === 0 ? 'cold' : 'warm';
          const run = await oneStart({
            dir: checkout.dir,
            dataDir,
            tmp: options.keepTmp ? undefined : tmp,
            env: variant.env,
            timeoutS: options.timeoutS,
            checkout: checkout.label,
            variant: variant.name,
            kind,
          });
          options.log(
            `startup ${checkout.label} ${variant.name} ${kind}: first menu answer ${(run.firstAnswerMs / 1000).toFixed(1)} s ` +
              `(CPU ${(run.cpuMs / 1000).toFixed(1)} s), ` +
              `RSS ${run.stackRssMb} MB (${run.processes.length} processes, ${run.totalRssMb} MB with npm)`,
          );
          runs.push(run);
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  }
  return runs;
}

export function startupTable(runs: StartupRun[]): string {
  const lines = [
    '| checkout | variant | start | first menu answer | CPU used by then | RSS of the stack | with the npm CLI | processes (RSS MB) |',
    '|---|---|---|---:|---:|---:|---:|---|',
  ];
  for (const run of runs) {
    const processes = run.processes
      .filter((p) => p.label !== 'sh' && !p.label.startsWith('npm start'))
      .map((p) => `${p.label} ${p.rssMb}`)
      .join('; ');
    lines.push(
      `| ${run.checkout} | ${run.variant} | ${run.kind} | ${(run.firstAnswerMs / 1000).toFixed(1)} s | ${(run.cpuMs / 1000).toFixed(1)} s | ${run.stackRssMb} MB | ${run.totalRssMb} MB | ${processes} |`,
    );
  }
  return lines.join('\n');
}

/** Min and median of first-answer time, CPU and stack RSS per checkout, variant and kind of start. */
export function startupSummary(runs: StartupRun[]): string {
  const lines = [
    '| checkout | variant | start | runs | first menu answer min / median | CPU min / median | RSS of the stack min / median |',
    '|---|---|---|---:|---:|---:|---:|',
  ];
  const groups = new Map<string, StartupRun[]>();
  for (const run of runs) {
    const key = `${run.checkout}\0${run.variant}\0${run.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const stat = (values: number[], format: (n: number) => string) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length / 2;
    const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return `${format(sorted[0]!)} / ${format(median)}`;
  };
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  for (const group of groups.values()) {
    const [first] = group as [StartupRun];
    lines.push(
      `| ${first.checkout} | ${first.variant} | ${first.kind} | ${group.length} | ${stat(
        group.map((r) => r.firstAnswerMs),
        seconds,
      )} | ` +
        `${stat(
          group.map((r) => r.cpuMs),
          seconds,
        )} | ${stat(
          group.map((r) => r.stackRssMb),
          (n) => `${Math.round(n)} MB`,
        )} |`,
    );
  }
  return lines.join('\n');
}

export const THIS_CHECKOUT = REPO_ROOT.replace(/\/$/, '');
