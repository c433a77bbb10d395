/** Closed-loop HTTP load with autocannon, with a sampled check of response bodies. */
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  body: string;
  headers?: Record<string, string>;
  connections?: number;
  durationS: number;
  timeoutS?: number;
  /** Decides whether a response body is correct; it sees every `checkEvery`-th response. */
  check?: (status: number, body: string) => boolean;
  checkEvery?: number;
}

export interface LoadResult {
  durationS: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  checked: number;
  mismatches: number;
  /** The first wrong body seen, shortened, for the report. */
  firstMismatch?: string;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let seen = 0;
  let checked = 0;
  let mismatches = 0;
  let firstMismatch: string | undefined;
  const checkEvery = options.checkEvery ?? 25;
  const instance = autocannon({
    url: options.url,
    connections: options.connections ?? 50,
    pipelining: 1,
    duration: options.durationS,
    timeout: options.timeoutS ?? 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: options.body,
        onResponse: (status, body) => {
          if (!options.check || seen++ % checkEvery !== 0) return;
          checked++;
          if (!options.check(status, body)) {
            mismatches++;
            firstMismatch ??= `${status} ${body.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  const result = await instance;
  // Completed responses over the run's own duration: autocannon's per-second average drops partial seconds.
  const requests = result.latency.totalCount;
  return {
    durationS: result.duration,
    requests,
    rps: requests / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    checked,
    mismatches,
    firstMismatch,
  };
}
