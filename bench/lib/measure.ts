/**
 * One measurement of one running server: verify a response, warm up, N timed runs, median by RPS, with CPU time,
 * peak RSS and (optionally) how many upstream requests each client request caused.
 */
import { runLoad, type LoadResult } from './load.js';
import { postText } from './http.js';
import { cpuMs, sampleMemory } from './sampler.js';

export interface MeasureOptions {
  url: string;
  pid: number;
  body: string;
  headers?: Record<string, string>;
  /** True when a response body is the right one (checked on the first response and on a sample under load). */
  check: (status: number, body: string) => boolean;
  warmupS: number;
  runs: number;
  durationS: number;
  connections: number;
  timeoutS: number;
  /** Reads a monotonic count of upstream requests (e.g. the subgraphs' own counter). */
  upstreamRequests?: () => Promise<number>;
  log?: (line: string) => void;
}

export interface Measurement {
  /** Why the measurement does not count (empty = valid). */
  voidReasons: string[];
  runs: LoadResult[];
  median?: LoadResult;
  warmup?: LoadResult;
  peakRssMb: number;
  cpuMsPerRequest?: number;
  /** Upstream requests of one client request sent alone (exact). */
  upstreamSingle?: number;
  /** Upstream requests per client request under load (in-flight deduplication across clients shows here). */
  upstreamPerRequest?: number;
}

const problems = (label: string, r: LoadResult): string[] => {
  const found: string[] = [];
  if (r.non2xx > 0) found.push(`${label}: ${r.non2xx} non-2xx`);
  if (r.errors > 0) found.push(`${label}: ${r.errors} errors (${r.timeouts} timeouts)`);
  if (r.mismatches > 0) found.push(`${label}: ${r.mismatches}/${r.checked} sampled bodies wrong, e.g. ${r.firstMismatch}`);
  if (r.requests === 0) found.push(`${label}: no response completed`);
  return found;
};

export function median<T>(items: T[], key: (item: T) => number): T | undefined {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Waits until the upstream counter stops moving (the server has finished what the last run left in flight). */
async function settle(read: (() => Promise<number>) | undefined): Promise<number | undefined> {
  const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 300));
  if (!read) {
    await pause();
    return undefined;
  }
  let last = await read();
  for (let i = 0; i < 100; i++) {
    await pause();
    const now = await read();
    if (now === last) return now;
    last = now;
  }
  return last;
}

export async function measure(options: MeasureOptions): Promise<Measurement> {
  const log = options.log ?? (() => undefined);
  const memory = sampleMemory(options.pid);
  const result: Measurement = { voidReasons: [], runs: [], peakRssMb: 0 };
  try {
    const upstreamBeforeFirst = await options.upstreamRequests?.();
    const first = await postText(options.url, options.body, options.headers);
    const upstreamAfterFirst = await options.upstreamRequests?.();
    if (upstreamBeforeFirst !== undefined && upstreamAfterFirst !== undefined)
      result.upstreamSingle = upstreamAfterFirst - upstreamBeforeFirst;
    if (!options.check(first.status, first.text)) {
      result.voidReasons.push(`first response is wrong: ${first.status} ${first.text.slice(0, 300)}`);
      return result;
    }
    const load = (durationS: number): Promise<LoadResult> =>
      runLoad({
        url: options.url,
        body: options.body,
        headers: options.headers,
        connections: options.connections,
        durationS,
        timeoutS: options.timeoutS,
        check: options.check,
      });
    if (options.warmupS > 0) {
      log(`  warm-up ${options.warmupS} s`);
      result.warmup = await load(options.warmupS);
      result.voidReasons.push(...problems('warm-up', result.warmup));
    }
    // Closed loop: when a run stops, every connection leaves one request behind that the server still finishes.
    // So each run is bracketed by quiet points and charged for its requests plus one per connection.
    let cpuTotal = 0;
    let upstreamTotal: number | undefined = options.upstreamRequests ? 0 : undefined;
    let charged = 0;
    for (let i = 0; i < options.runs; i++) {
      const upstreamBefore = await settle(options.upstreamRequests);
      const cpuBefore = cpuMs(options.pid);
      const run = await load(options.durationS);
      const upstreamAfter = await settle(options.upstreamRequests);
      cpuTotal += cpuMs(options.pid) - cpuBefore;
      if (upstreamTotal !== undefined && upstreamBefore !== undefined && upstreamAfter !== undefined)
        upstreamTotal += upstreamAfter - upstreamBefore;
      charged += run.requests + options.connections;
      log(`  run ${i + 1}/${options.runs}: ${run.rps.toFixed(1)} rps, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms`);
      result.runs.push(run);
      result.voidReasons.push(...problems(`run ${i + 1}`, run));
    }
    result.median = median(result.runs, (r) => r.rps);
    if (result.runs.some((r) => r.requests > 0)) {
      result.cpuMsPerRequest = cpuTotal / charged;
      if (upstreamTotal !== undefined) result.upstreamPerRequest = upstreamTotal / charged;
    }
    return result;
  } catch (error) {
    result.voidReasons.push(`error: ${error instanceof Error ? error.message : String(error)}`);
    return result;
  } finally {
    memory.stop();
    result.peakRssMb = memory.peakRssMb();
  }
}
