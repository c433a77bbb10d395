/**
 * GATEWAY_WORKERS scaling on the public scenario: Brigade's gateway with 1 and then 2 workers, unpinned, against the
 * memoised guild subgraphs. On a 2-core machine the subgraphs and the load generator share the cores with the
 * workers, so this is a relative check, not the ceiling of two dedicated cores.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBrigadeGateway } from './brigade.js';
import { REQUEST_BODY, supergraphFor } from './guild/data.js';
import { isExpectedResponse } from './guild/scenario.js';
import { postText, waitUntil } from './lib/http.js';
import { measure, type Measurement } from './lib/measure.js';
import { freePort, nodeTs, REPO_ROOT, startProcess } from './lib/proc.js';

export interface WorkersRow {
  workers: number;
  measurement?: Measurement;
  error?: string;
}

export async function runWorkersScenario(options: {
  warmupS: number;
  runs: number;
  durationS: number;
  connections: number;
  log: (line: string) => void;
}): Promise<WorkersRow[]> {
  const { log } = options;
  const workDir = mkdtempSync(join(tmpdir(), 'brigade-bench-workers-'));
  const sub = nodeTs(join(REPO_ROOT, 'bench/guild/subgraphs.ts'), ['--port', String(await freePort())]);
  const subgraphs = startProcess({ name: 'guild-subgraphs', ...sub, env: { ...process.env, NODE_ENV: 'production' } });
  const rows: WorkersRow[] = [];
  try {
    const [, subgraphsUrl] = await subgraphs.waitForLine(/listening on (http:\S+)/);
    const supergraphPath = join(workDir, 'supergraph.graphql');
    writeFileSync(supergraphPath, supergraphFor(subgraphsUrl!));
    for (const workers of [1, 2]) {
      const row: WorkersRow = { workers };
      rows.push(row);
      log(`workers: ${workers}`);
      const gateway = (await startBrigadeGateway(supergraphPath, await freePort(), { workers }))!;
      try {
        await waitUntil(
          'gateway',
          async () => (await postText(gateway.url, REQUEST_BODY)).status === 200,
          120_000,
          () => !gateway.proc.exited,
        );
        row.measurement = await measure({
          url: gateway.url,
          pid: gateway.proc.pid,
          body: REQUEST_BODY,
          check: isExpectedResponse,
          warmupS: options.warmupS,
          runs: options.runs,
          durationS: options.durationS,
          connections: options.connections,
          timeoutS: 30,
          log,
        });
      } catch (error) {
        row.error = error instanceof Error ? error.message : String(error);
        log(`workers ${workers}: ${row.error}`);
      } finally {
        await gateway.proc.stop();
      }
    }
    return rows;
  } finally {
    await subgraphs.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

export function workersTable(rows: WorkersRow[]): string {
  const base = rows.find((r) => r.workers === 1)?.measurement?.median?.rps;
  const lines = [
    '| GATEWAY_WORKERS | RPS | × 1 worker | p50 ms | p99 ms | CPU ms / request | peak RSS MB | status |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const row of rows) {
    const m = row.measurement;
    const rps = m?.median?.rps;
    const status = row.error
      ? `failed: ${row.error.slice(0, 200)}`
      : m && m.voidReasons.length > 0
        ? `VOID: ${m.voidReasons.join('; ').slice(0, 200)}`
        : 'ok';
    lines.push(
      `| ${row.workers} | ${rps?.toFixed(1) ?? '—'} | ${rps && base ? `${(rps / base).toFixed(2)}×` : '—'} | ${m?.median?.p50Ms ?? '—'} | ${m?.median?.p99Ms ?? '—'} | ${m?.cpuMsPerRequest?.toFixed(2) ?? '—'} | ${m?.peakRssMb.toFixed(0) ?? '—'} | ${status.replaceAll('|', '/')} |`,
    );
  }
  return lines.join('\n');
}
