/**
 * The public federation benchmark: the four memoised subgraphs and the load generator on one CPU, each gateway in
 * turn alone on the other, TestQuery checked deep-equal against the published response.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { GatewayCandidate } from '../lib/gateway.js';
import { getJson, postText, waitUntil } from '../lib/http.js';
import { measure } from '../lib/measure.js';
import { freePort, nodeTs, REPO_ROOT, startProcess } from '../lib/proc.js';
import type { Row } from '../lib/report.js';
import { EXPECTED_RESPONSE_TEXT, REQUEST_BODY, supergraphFor } from './data.js';
import type { SubgraphStats } from './subgraphs.js';

export interface GuildOptions {
  gateways: GatewayCandidate[];
  warmupS: number;
  runs: number;
  durationS: number;
  connections: number;
  timeoutS: number;
  delayMs: number;
  /** CPU lists for taskset; undefined = unpinned. */
  gatewayCpus?: string;
  subgraphCpus?: string;
  /** Gateways whose turn would start after this instant are skipped, to keep the whole run bounded. */
  deadline: number;
  log: (line: string) => void;
}

const expected = JSON.parse(EXPECTED_RESPONSE_TEXT) as unknown;

/** Byte-equal is the fast path; otherwise the parsed body must deep-equal the published response. */
export function isExpectedResponse(status: number, body: string): boolean {
  if (status !== 200) return false;
  if (body.trim() === EXPECTED_RESPONSE_TEXT) return true;
  try {
    return isDeepStrictEqual(JSON.parse(body), expected);
  } catch {
    return false;
  }
}

export async function runGuildScenario(options: GuildOptions): Promise<Row[]> {
  const { log } = options;
  const workDir = mkdtempSync(join(tmpdir(), 'brigade-bench-'));
  const subgraphPort = await freePort();
  const { command, args } = nodeTs(join(REPO_ROOT, 'bench/guild/subgraphs.ts'), [
    '--port',
    String(subgraphPort),
    '--delay',
    String(options.delayMs),
  ]);
  const subgraphs = startProcess({
    name: 'guild-subgraphs',
    command,
    args,
    cpus: options.subgraphCpus,
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const rows: Row[] = [];
  try {
    const [, subgraphsUrl] = await subgraphs.waitForLine(/listening on (http:\S+)/);
    if (!subgraphsUrl) throw new Error('subgraphs printed no URL');
    const supergraphPath = join(workDir, 'supergraph.graphql');
    writeFileSync(supergraphPath, supergraphFor(subgraphsUrl));
    const upstreamRequests = async (): Promise<number> => (await getJson<SubgraphStats>(`${subgraphsUrl}/stats`)).total;
    // Per gateway: start-up, warm-up and runs, plus a margin for stopping.
    const turnMs = (options.warmupS + options.runs * options.durationS + 30) * 1000;

    for (const candidate of options.gateways) {
      const row: Row = { id: candidate.id, label: candidate.label, description: '' };
      rows.push(row);
      if (Date.now() + turnMs > options.deadline) {
        row.skipped = 'time budget of the run exhausted';
        log(`${candidate.id}: skipped (time budget)`);
        continue;
      }
      log(`${candidate.id}: starting`);
      const port = await freePort();
      let started;
      try {
        started = await candidate.start({ supergraphPath, subgraphsUrl, port, cpus: options.gatewayCpus, workDir, log });
      } catch (error) {
        row.skipped = `failed to start: ${error instanceof Error ? error.message : String(error)}`;
        log(`${candidate.id}: ${row.skipped}`);
        continue;
      }
      if ('skipped' in started) {
        row.skipped = started.skipped;
        log(`${candidate.id}: skipped: ${started.skipped}`);
        continue;
      }
      row.description = started.description;
      const gateway = started;
      try {
        await waitUntil(
          candidate.id,
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
          timeoutS: options.timeoutS,
          upstreamRequests,
          log,
        });
        if (row.measurement.voidReasons.length > 0) log(`${candidate.id}: VOID: ${row.measurement.voidReasons.join('; ').slice(0, 500)}`);
      } catch (error) {
        row.skipped = `${error instanceof Error ? error.message : String(error)}\n${gateway.proc.output().slice(-800)}`;
        log(`${candidate.id}: ${row.skipped}`);
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
