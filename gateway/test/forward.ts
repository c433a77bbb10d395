import type { IncomingMessage, ServerResponse } from 'node:http';

const FORWARDED = ['content-type', 'authorization', 'x-request-id', 'traceparent'];

/**
 * Hands a request a test proxy has read (`body`) on to the subgraph at `target`, with the headers a gateway's
 * call carries, and its answer back.
 */
export async function forward(req: IncomingMessage, body: Buffer, res: ServerResponse, target: string): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  try {
    const upstream = await fetch(new URL(req.url ?? '/', target), {
      method: req.method ?? 'GET',
      headers,
      ...(req.method === 'POST' ? { body } : {}),
    });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  } catch {
    // A subgraph stops before the gateways at teardown, while their health checks still pass through here.
    res.writeHead(502).end();
  }
}
