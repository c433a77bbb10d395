import { generateKeyring, processMetrics, SUBGRAPHS, type ServiceKeyring } from '@brigade/platform';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, loadConfig } from '../src/index.js';
import { createGatewayMetrics } from '../src/metrics.js';
import { forward } from './forward.js';
import { NOWHERE, spawnService, type ServiceProcess } from './observability.support.js';

const MENU = 'query Menu { menu { name } }';

/** Forwards to the real subgraph and remembers the headers each call carried. */
async function recordingProxy(target: string): Promise<{ server: Server; url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url === '/graphql') seen.push(req.headers);
    await forward(req, Buffer.concat(chunks), res, target);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, seen };
}

async function startGateway(keyring: ServiceKeyring, menuUrl: string, options: { exporter?: InMemorySpanExporter } = {}) {
  const env: Record<string, string> = {
    PORT: '0',
    LOG_LEVEL: 'info',
    DATA_DIR: 'memory',
    SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys.gateway),
    SERVICE_TRUSTED_KEYS: JSON.stringify(keyring.trusted),
    HEALTH_CHECK_INTERVAL_MS: '500',
  };
  for (const name of SUBGRAPHS) env[`SUBGRAPH_${name.toUpperCase()}_URL`] = name === 'menu' ? menuUrl : NOWHERE;
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text) lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info', base: { service: 'gateway' } }, sink);
  const gateway = await createGateway(await loadConfig(env), {
    logger,
    ...(options.exporter ? { spanExporter: options.exporter } : {}),
  });
  const origin = await gateway.listen(0);
  return { gateway, origin, lines };
}

async function post(origin: string, body: object, headers: Record<string, string> = {}) {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: any; errors?: any[] } };
}

describe('gateway observability', () => {
  let keyring: ServiceKeyring;
  let menu: ServiceProcess;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let traced: Awaited<ReturnType<typeof startGateway>>;
  let untraced: Awaited<ReturnType<typeof startGateway>>;
  const exporter = new InMemorySpanExporter();

  beforeAll(async () => {
    keyring = await generateKeyring();
    menu = await spawnService('subgraphs/menu/src/main.ts', {
      SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys.menu),
      SERVICE_TRUSTED_KEYS: JSON.stringify(keyring.trusted),
    });
    proxy = await recordingProxy(menu.url);
    traced = await startGateway(keyring, proxy.url, { exporter });
    untraced = await startGateway(keyring, proxy.url);
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled([traced?.gateway.stop(), untraced?.gateway.stop()]);
    proxy?.server.close();
    await menu?.kill();
  });

  it('when a request carries x-request-id, then the gateway and the subgraph it called log lines with that id', async () => {
    const result = await post(traced.origin, { query: MENU, operationName: 'Menu' }, { 'x-request-id': 'obs-req-1' });
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    const gatewayLines = traced.lines.filter((line) => line.reqId === 'obs-req-1');
    expect(gatewayLines.map((line) => line.msg)).toContain('operation');
    const subgraphLine = await menu.waitForLine((line) => line.reqId === 'obs-req-1');
    expect(subgraphLine).toMatchObject({ service: 'menu', reqId: 'obs-req-1' });
    expect(proxy.seen.map((h) => h['x-request-id'])).toContain('obs-req-1');
  });

  it('when an operation runs, then one access-log line names it, with duration, status, outcome and client IP', async () => {
    await post(traced.origin, { query: MENU }, { 'x-request-id': 'obs-req-2' });
    const access = traced.lines.filter((line) => line.reqId === 'obs-req-2' && line.msg === 'operation');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      operationName: 'Menu',
      operationType: 'query',
      outcome: 'success',
      status: 200,
      errors: 0,
      clientIp: expect.stringContaining('127.0.0.1'),
    });
    expect(access[0]!.durationMs).toEqual(expect.any(Number));
    expect(access[0]).not.toHaveProperty('userId');
  });

  it('when an operation carries secrets in its variables, then no log line contains them, and failures are counted with codes', async () => {
    const secret = 'hunter2-very-secret-password';
    const result = await post(
      traced.origin,
      {
        query: 'mutation LogIn($input: LogInInput!) { logIn(input: $input) { accessToken } }',
        variables: { input: { email: 'a@example.com', password: secret } },
      },
      { 'x-request-id': 'obs-req-3' },
    );
    expect(result.body.errors?.length).toBeGreaterThan(0);
    const access = traced.lines.find((line) => line.reqId === 'obs-req-3' && line.msg === 'operation')!;
    expect(access).toMatchObject({ operationName: 'LogIn', operationType: 'mutation', outcome: 'error' });
    expect(access.errors).toBe(result.body.errors!.length);
    expect(access.errorCodes).toEqual(expect.arrayContaining([expect.any(String)]));
    expect(JSON.stringify(traced.lines)).not.toContain(secret);
    expect(JSON.stringify(traced.lines)).not.toContain('a@example.com');
  });

  it('when a request is refused before GraphQL runs, then it still gets one access-log line and counts as rejected', async () => {
    const result = await post(traced.origin, { query: MENU }, { 'x-request-id': 'obs-req-4', authorization: 'Bearer not-a-jwt' });
    expect(result.status).toBeGreaterThanOrEqual(400);
    const access = traced.lines.filter((line) => line.reqId === 'obs-req-4' && line.msg === 'operation');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ outcome: 'rejected', status: result.status, operationName: 'anonymous' });
    expect(JSON.stringify(traced.lines)).not.toContain('not-a-jwt');
    const metrics = await (await fetch(`${traced.origin}/metrics`)).text();
    expect(metrics).toMatch(/brigade_gateway_requests_total\{operation="anonymous",outcome="rejected"\} [1-9]/);
  });

  it('when traffic has passed, then /metrics exposes requests, latency, subgraph fetches, plan cache and rate limits by label', async () => {
    const { origin, gateway } = untraced;
    await post(origin, { query: MENU });
    await post(origin, { query: MENU });
    await post(origin, { query: '{ menu { name ' });
    await post(origin, { query: 'mutation LogIn { logIn(input: { email: "x@example.com", password: "p" }) { accessToken } }' });
    gateway.metrics.onReject('ip');

    const response = await fetch(`${origin}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    expect(value('brigade_gateway_requests_total{operation="Menu",outcome="success"}')).toBe(2);
    expect(value('brigade_gateway_requests_total{operation="anonymous",outcome="rejected"}')).toBe(1);
    expect(value('brigade_gateway_requests_total{operation="LogIn",outcome="error"}')).toBe(1);
    expect(value('brigade_gateway_request_duration_seconds_count{operation="Menu",outcome="success"}')).toBe(2);
    expect(value('brigade_gateway_request_duration_seconds_bucket{le="+Inf",operation="Menu",outcome="success"}')).toBe(2);
    expect(value('brigade_gateway_subgraph_fetch_duration_seconds_count{subgraph="menu",outcome="ok"}')).toBe(2);
    expect(value('brigade_gateway_subgraph_fetch_duration_seconds_count{subgraph="auth",outcome="error"}')).toBe(1);
    // The two Menu requests share one plan; the unparsable one never reaches planning.
    expect(value('brigade_gateway_query_plan_cache_total{result="miss"}')).toBe(2);
    expect(value('brigade_gateway_query_plan_cache_total{result="hit"}')).toBe(1);
    expect(value('brigade_gateway_rate_limited_total{kind="ip"}')).toBe(1);
    expect(text).toContain('process_cpu_user_seconds_total');
    // Each gateway has its own registry: the traced gateway's traffic is not in this one.
    expect(text).not.toContain('"Menu",outcome="error"');
  });

  it('when the gateway has called a subgraph, then the subgraph /metrics counts its requests by operation', async () => {
    await post(untraced.origin, { query: MENU });
    const text = await (await fetch(`${menu.origin}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('brigade_subgraph_requests_total{') && l.includes('operation="Menu__menu__0"'));
    expect(line).toContain('status="200"');
    expect(line).toContain('subgraph="menu"');
    expect(Number(line!.split(' ').at(-1))).toBeGreaterThan(0);
    expect(text).toContain('brigade_subgraph_request_duration_seconds_bucket');
  });

  it('when several servers share a process, then each /metrics reports the process once, from one collector', async () => {
    const samples = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    // The two gateways run in this process; menu runs in its own.
    const scrape = async (origin: string) => (await fetch(`${origin}/metrics`)).text();
    const [untracedText, tracedText, menuText] = await Promise.all([scrape(untraced.origin), scrape(traced.origin), scrape(menu.origin)]);
    for (const text of [untracedText, tracedText, menuText]) {
      expect(samples(text, 'process_cpu_user_seconds_total')).toHaveLength(1);
      expect(samples(text, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    }
    expect(samples(tracedText, 'process_start_time_seconds')).toEqual(samples(untracedText, 'process_start_time_seconds'));
    // The subgraph's label marks its own series, not the process's.
    expect(samples(menuText, 'process_cpu_user_seconds_total')[0]).not.toContain('subgraph=');
    expect(processMetrics()).toBe(processMetrics());
  });

  it('when clients send many distinct operation names, then the label set stays bounded', async () => {
    const metrics = createGatewayMetrics({ maxOperationNames: 2 });
    expect(['A', 'B', 'C', 'A', '', null, 'bad name!'].map((n) => metrics.operationLabel(n))).toEqual([
      'A',
      'B',
      'other',
      'A',
      'anonymous',
      'anonymous',
      'anonymous',
    ]);
  });

  it('when tracing is on, then the request span and the subgraph fetch span share the client trace and the subgraph gets the child traceparent', async () => {
    exporter.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const clientParent = `00-${traceId}-00f067aa0ba902b7-01`;
    const before = proxy.seen.length;
    const result = await post(traced.origin, { query: MENU }, { traceparent: clientParent });
    expect(result.body.errors).toBeUndefined();
    const spans = exporter.getFinishedSpans();
    const request = spans.find((s) => s.name === 'graphql.request')!;
    const fetchSpan = spans.find((s) => s.name === 'subgraph.fetch menu')!;
    expect(request.spanContext().traceId).toBe(traceId);
    expect(request.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(fetchSpan.spanContext().traceId).toBe(traceId);
    expect(fetchSpan.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(request.attributes['graphql.operation.name']).toBe('Menu');
    const sent = proxy.seen.slice(before).map((h) => h.traceparent);
    expect(sent).toEqual([`00-${traceId}-${fetchSpan.spanContext().spanId}-01`]);
    expect(await menu.waitForLine((line) => line.traceId === traceId)).toMatchObject({ service: 'menu', msg: 'request' });
  });

  it('when tracing is off, then no span is made and the client traceparent is passed on unchanged', async () => {
    exporter.reset();
    const clientParent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const before = proxy.seen.length;
    await post(untraced.origin, { query: MENU }, { traceparent: clientParent });
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(proxy.seen.slice(before).map((h) => h.traceparent)).toEqual([clientParent]);
  });
});
