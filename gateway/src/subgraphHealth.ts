import type { Logger } from '@brigade/platform';

/** `name → routing URL` of every subgraph the supergraph declares (its `join__Graph` enum). */
export function subgraphsOf(supergraphSdl: string): Map<string, string> {
  const graphs = new Map<string, string>();
  for (const match of supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]*)"\)/g)) {
    graphs.set(match[1]!, match[2]!);
  }
  return graphs;
}

/**
 * Polls every subgraph's `/health` so `/ready` answers from memory: readiness probes must stay cheap and
 * must not fan out to six services on every call.
 */
export class SubgraphHealth {
  private readonly status = new Map<string, { ok: boolean; at: number }>();
  private urls = new Map<string, string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** Replaces the watched set (after a supergraph reload) and checks at once. */
  watch(urls: Map<string, string>): Promise<void> {
    this.urls = urls;
    for (const name of this.status.keys()) if (!urls.has(name)) this.status.delete(name);
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.checkAll(), this.intervalMs);
    this.timer.unref();
    return this.checkAll();
  }

  async checkAll(): Promise<void> {
    await Promise.all(
      [...this.urls].map(async ([name, url]) => {
        let ok = false;
        try {
          const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(Math.min(this.intervalMs, 2_000)) });
          ok = response.ok;
          await response.body?.cancel();
        } catch {
          ok = false;
        }
        const before = this.status.get(name)?.ok;
        if (before !== undefined && before !== ok) this.logger.warn({ subgraph: name, healthy: ok }, 'subgraph health changed');
        this.status.set(name, { ok, at: Date.now() });
      }),
    );
  }

  /** Names of subgraphs that failed or have not answered within three intervals. */
  failing(): string[] {
    const stale = Date.now() - this.intervalMs * 3;
    return [...this.urls.keys()].filter((name) => {
      const s = this.status.get(name);
      return !s || !s.ok || s.at < stale;
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
