import { startStack } from '@brigade/testing';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';

/** Every host an HTTP client of this process contacts while `run` runs and for `settleMs` after. */
async function hostsContacted(run: () => Promise<() => Promise<void>>, settleMs: number): Promise<string[]> {
  const hosts = new Set<string>();
  const onNodeHttp = (message: unknown) => {
    const { request } = message as { request: { host?: string; getHeader(name: string): unknown } };
    hosts.add(String(request.host ?? request.getHeader('host')));
  };
  const onUndici = (message: unknown) => hosts.add(new URL((message as { request: { origin: string } }).request.origin).hostname);
  subscribe('http.client.request.start', onNodeHttp);
  subscribe('undici:request:create', onUndici);
  try {
    const stop = await run();
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    await stop();
  } finally {
    unsubscribe('http.client.request.start', onNodeHttp);
    unsubscribe('undici:request:create', onUndici);
  }
  return [...hosts];
}

describe("Apollo Gateway's own telemetry", () => {
  const saved = process.env.APOLLO_TELEMETRY_DISABLED;
  afterEach(() => {
    if (saved === undefined) delete process.env.APOLLO_TELEMETRY_DISABLED;
    else process.env.APOLLO_TELEMETRY_DISABLED = saved;
  });

  it('when the gateway starts by default, then it contacts its subgraphs and nothing else: no cloud metadata probe, no usage export', async () => {
    delete process.env.APOLLO_TELEMETRY_DISABLED;
    const hosts = await hostsContacted(async () => {
      const stack = await startStack({ only: ['menu'], env: { HEALTH_CHECK_INTERVAL_MS: '200' } });
      expect((await stack.query<{ menu: unknown[] }>('{ menu { name } }')).data?.menu.length).toBeGreaterThan(0);
      return () => stack.stop();
    }, 1_500);
    expect(hosts.length).toBeGreaterThan(0);
    expect(hosts.filter((host) => host !== '127.0.0.1' && host !== 'localhost')).toEqual([]);
  });
});
