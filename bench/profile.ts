/**
 * CPU profile of Brigade's gateway under the public scenario's load: the gateway runs with `--cpu-prof` alone on
 * CPU 1, the memoised guild subgraphs and autocannon on CPU 0; after the load the gateway is stopped (it writes the
 * profile on exit) and the top self-time functions and packages are printed with their share.
 *
 *   node --import tsx bench/profile.ts [--duration 15] [--connections 50] [--top 25] [--env KEY=VALUE ...]
 *   node --import tsx bench/profile.ts --summarise file.cpuprofile
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBrigadeGateway } from './brigade.js';
import { REQUEST_BODY, supergraphFor } from './guild/data.js';
import { isExpectedResponse } from './guild/scenario.js';
import { postText, waitUntil } from './lib/http.js';
import { runLoad } from './lib/load.js';
import { cpuMs } from './lib/sampler.js';
import { MENU_QUERY, startBrigadeStack } from './stack/brigade.js';
import { freePort, hasTaskset, nodeTs, pinSelf, REPO_ROOT, startProcess, stopAll } from './lib/proc.js';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time by function and by package, as shares of all sampled time. */
export function summariseProfile(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = Math.max(0, profile.timeDeltas[i] ?? 0);
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
    total += delta;
  });
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const nameOf = (id: number): string => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url.replace(/^file:\/\//, '').replace(REPO_ROOT, '');
    return `${functionName || '(anonymous)'} ${where ? `${where.split('node_modules/').pop()}:${lineNumber + 1}` : ''}`.trim();
  };
  // Inclusive time: each sample counts once for every distinct function on its stack.
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) seen.add(nameOf(at));
    for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url } = byId.get(id)!.callFrame;
    const where = url.replace(/^file:\/\//, '').replace(REPO_ROOT, '');
    const name = nameOf(id);
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ??
      (where.startsWith('node:') ? 'node internals' : where ? 'brigade' : functionName || '(vm)');
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const lines = (map: Map<string, number>, n: number): string[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
  return [
    `sampled ${(total / 1e6).toFixed(1)} s of CPU`,
    '',
    'self time by function:',
    ...lines(byFunction, top),
    '',
    'self time by package:',
    ...lines(byPackage, 15),
    '',
    'inclusive time (function and everything it calls):',
    ...lines(inclusive, top * 2),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '15' },
      connections: { type: 'string', default: '50' },
      top: { type: 'string', default: '25' },
      env: { type: 'string', multiple: true, default: [] },
      summarise: { type: 'string' },
      scenario: { type: 'string', default: 'guild' },
    },
  });
  if (values.summarise) {
    console.log(summariseProfile(JSON.parse(readFileSync(values.summarise, 'utf8')) as CpuProfile, Number(values.top)));
    return;
  }
  const pin = hasTaskset();
  if (pin) pinSelf('0');
  if (values.scenario === 'menu') return profileMenu(values, pin);
  const workDir = mkdtempSync(join(tmpdir(), 'brigade-profile-'));
  const subgraphPort = await freePort();
  const sub = nodeTs(join(REPO_ROOT, 'bench/guild/subgraphs.ts'), ['--port', String(subgraphPort)]);
  const subgraphs = startProcess({
    name: 'guild-subgraphs',
    ...sub,
    cpus: pin ? '0' : undefined,
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const [, subgraphsUrl] = await subgraphs.waitForLine(/listening on (http:\S+)/);
  const supergraphPath = join(workDir, 'supergraph.graphql');
  writeFileSync(supergraphPath, supergraphFor(subgraphsUrl!));
  const env = Object.fromEntries(values.env.map((kv) => kv.split(/=(.*)/s, 2) as [string, string]));
  const gateway = (await startBrigadeGateway(supergraphPath, await freePort(), {
    cpus: pin ? '1' : undefined,
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${workDir}`],
    env,
  }))!;
  await waitUntil(
    'gateway',
    async () => isExpectedResponse(...(Object.values(await postText(gateway.url, REQUEST_BODY)) as [number, string])),
    120_000,
    () => !gateway.proc.exited,
  );
  const load = (durationS: number) =>
    runLoad({ url: gateway.url, body: REQUEST_BODY, connections: Number(values.connections), durationS, check: isExpectedResponse });
  await load(3);
  const cpuBefore = cpuMs(gateway.proc.pid);
  const result = await load(Number(values.duration));
  const cpuPerRequest = (cpuMs(gateway.proc.pid) - cpuBefore) / result.requests;
  console.log(
    `${result.rps.toFixed(1)} rps, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${cpuPerRequest.toFixed(2)} CPU ms/request, ` +
      `${result.mismatches} mismatches, ${result.errors} errors, ${result.non2xx} non-2xx`,
  );
  await gateway.proc.stop(15_000);
  const file = readdirSync(workDir).find((f) => f.endsWith('.001.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${workDir}`);
  console.log(`profile: ${join(workDir, file)}\n`);
  console.log(summariseProfile(JSON.parse(readFileSync(join(workDir, file), 'utf8')) as CpuProfile, Number(values.top)));
}

/** The anonymous menu query on the real stack (`--scenario menu`), e.g. with `--connections 1` for the overhead. */
async function profileMenu(values: { duration?: string; connections?: string; top?: string; env?: string[] }, pin: boolean): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'brigade-profile-'));
  const env = Object.fromEntries((values.env ?? []).map((kv) => kv.split(/=(.*)/s, 2) as [string, string]));
  const stack = await startBrigadeStack({
    subgraphCpus: pin ? '0' : undefined,
    gatewayCpus: pin ? '1' : undefined,
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${workDir}`],
    env,
  });
  try {
    const body = JSON.stringify({ query: MENU_QUERY, operationName: 'Menu' });
    const load = (durationS: number) => runLoad({ url: stack.gatewayUrl, body, connections: Number(values.connections), durationS });
    await load(3);
    const cpuBefore = cpuMs(stack.gateway.pid);
    const result = await load(Number(values.duration));
    console.log(
      `${result.rps.toFixed(1)} rps, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${((cpuMs(stack.gateway.pid) - cpuBefore) / result.requests).toFixed(2)} CPU ms/request`,
    );
  } finally {
    await stack.stop();
  }
  const file = readdirSync(workDir).find((f) => f.endsWith('.001.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${workDir}`);
  console.log(`profile: ${join(workDir, file)}\n`);
  console.log(summariseProfile(JSON.parse(readFileSync(join(workDir, file), 'utf8')) as CpuProfile, Number(values.top)));
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
