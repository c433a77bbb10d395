/**
 * Pieces of the scale-out test: a round-robin load balancer in front of gateway replicas, and a GraphQL
 * client that chooses the address its connections come from, so each simulated client has its own IP for
 * the gateways' per-IP rate limit (127.0.0.0/8 is all loopback on Linux).
 */
import { request as httpRequest, createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoadBalancer {
  readonly url: string;
  /** Requests each target answered (by index into the targets). */
  readonly served: number[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

/**
 * Alternates requests between `origins`, appending the client's address to `x-forwarded-for` as a real
 * load balancer does. A target that refuses the connection never saw the request, so it goes to the next
 * one; a target that fails after the request was sent may have acted on it, so the client gets a 502 and
 * decides whether a retry is safe. One connection per request: no pooled socket outlives a dead replica.
 */
export async function startLoadBalancer(origins: readonly string[]): Promise<LoadBalancer> {
  const served = origins.map(() => 0);
  let next = 0;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    headers['x-forwarded-for'] = forwardedFor;
    headers['content-length'] = String(body.length);

    const first = next++ % origins.length;
    for (let attempt = 0; attempt < origins.length; attempt++) {
      const index = (first + attempt) % origins.length;
      const outcome = await forward(origins[index]!, req.method ?? 'GET', req.url ?? '/', headers, body);
      if (outcome.kind === 'refused') continue;
      if (outcome.kind === 'failed') break;
      served[index]!++;
      res.writeHead(outcome.status, outcome.headers);
      res.end(outcome.body);
      return;
    }
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ message: 'Bad gateway', extensions: { code: 'BAD_GATEWAY' } }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Forwarded =
  { kind: 'answered'; status: number; headers: Record<string, string | string[]>; body: Buffer } | { kind: 'refused' } | { kind: 'failed' };

function forward(origin: string, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Forwarded> {
  return new Promise((resolve) => {
    let connected = false;
    const upstream = httpRequest(new URL(path, origin), { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
        }
        resolve({ kind: 'answered', status: response.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
      });
      response.on('error', () => resolve({ kind: 'failed' }));
    });
    upstream.on('socket', (socket) => socket.on('connect', () => (connected = true)));
    upstream.on('error', (error: NodeJS.ErrnoException) =>
      resolve(!connected && error.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'failed' }),
    );
    upstream.end(body);
  });
}

export interface Reply {
  status: number;
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

export interface Call {
  query?: string;
  variables?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  token?: string;
  /** The client's address (a loopback address); default: a new one per call. */
  ip?: string;
}

let addresses = 0;
/** A loopback address no other call of this process used: one fresh simulated client. */
export function freshIp(): string {
  const n = ++addresses;
  return `127.${10 + ((n >> 16) & 0xff)}.${(n >> 8) & 0xff}.${n & 0xff || 1}`;
}

/** POSTs one GraphQL request from `ip`, on its own connection. */
export function graphql(url: string, call: Call): Promise<Reply> {
  const payload = JSON.stringify({ query: call.query, variables: call.variables, extensions: call.extensions });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        agent: false,
        localAddress: call.ip ?? freshIp(),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(call.token ? { authorization: `Bearer ${call.token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            const body = JSON.parse(text) as Omit<Reply, 'status'>;
            resolve({ status: res.statusCode ?? 0, data: body.data, errors: body.errors });
          } catch {
            reject(new Error(`non-JSON response (${res.statusCode}): ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const codesOf = (reply: Reply) => (reply.errors ?? []).map((e) => e.extensions?.code);
