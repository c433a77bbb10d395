import { ErrorCode } from './errors.js';
import type { ApolloServer, BaseContext, HTTPGraphQLRequest } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

export const REQUEST_ID_HEADER = 'x-request-id';
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's request id when it is a sane token, otherwise a fresh one (ids end up in every log line). */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * One deadline across hops. A caller that will stop waiting at some moment says so on every call it makes:
 * `x-request-deadline` is that moment (epoch milliseconds), `x-request-timeout-ms` the milliseconds it had
 * left when it sent the call, as gRPC's `grpc-timeout`. The callee stops at the earlier of the two: the
 * timeout alone misses the time a request waited unread (the callee frozen, a queue ahead of it), the
 * moment alone trusts clocks. Both come from one clock on one host, and from NTP-synchronised clocks
 * across hosts, whose drift stays far below the margins the services keep.
 */
export const DEADLINE_HEADER = 'x-request-deadline';
export const TIMEOUT_HEADER = 'x-request-timeout-ms';

/** The headers that pass a deadline `timeoutMs` from now on to a call. */
export function deadlineHeaders(timeoutMs: number, now = Date.now()): Record<string, string> {
  const ms = Math.max(0, Math.floor(timeoutMs));
  return { [DEADLINE_HEADER]: String(now + ms), [TIMEOUT_HEADER]: String(ms) };
}

/**
 * When the caller of `req` stops waiting (epoch milliseconds), or undefined when it sent no deadline.
 * `arrivedAt` is when this service began to handle the request. Malformed values are ignored.
 */
export function deadlineOf(req: IncomingMessage, arrivedAt = Date.now()): number | undefined {
  const at = Number(req.headers[DEADLINE_HEADER]);
  const timeout = Number(req.headers[TIMEOUT_HEADER]);
  const candidates = [
    Number.isSafeInteger(at) && at > 0 ? at : undefined,
    Number.isSafeInteger(timeout) && timeout >= 0 ? arrivedAt + timeout : undefined,
  ].filter((v): v is number => v !== undefined);
  return candidates.length ? Math.min(...candidates) : undefined;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A GraphQL-shaped error body, so clients parse every refusal the same way. */
export function sendError(res: ServerResponse, error: HttpError, requestId?: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(error.status, {
    'content-type': 'application/json; charset=utf-8',
    ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
    ...error.headers,
  });
  res.end(JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code } }] }));
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Reads the body up to `limit` bytes; past that the request is refused with 413 without reading on. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpError(413, ErrorCode.PayloadTooLarge, 'Request body too large.');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, ErrorCode.PayloadTooLarge, 'Request body too large.');
    chunks.push(chunk);
  }
  const buffer = Buffer.concat(chunks);
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  try {
    return text.decode(buffer);
  } catch {
    throw new HttpError(400, ErrorCode.BadRequest, 'Request body is not valid UTF-8.');
  }
}

/** Turns a Node request into Apollo Server's transport-neutral request, parsing JSON bodies. */
export async function toGraphQLRequest(req: IncomingMessage, bodyLimit: number): Promise<HTTPGraphQLRequest> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  let body: unknown;
  if (req.method === 'POST') {
    const raw = await readBody(req, bodyLimit);
    const type = headers.get('content-type') ?? '';
    if (/^application\/(graphql-response\+)?json\b/i.test(type) || /^application\/json/i.test(type)) {
      const charset = /charset=([^;]+)/i.exec(type)?.[1]?.trim().toLowerCase();
      if (charset && charset !== 'utf-8' && charset !== 'utf8') {
        throw new HttpError(415, ErrorCode.BadRequest, 'Only UTF-8 JSON is accepted.');
      }
      try {
        body = raw.length ? JSON.parse(raw) : undefined;
      } catch {
        throw new HttpError(400, ErrorCode.BadRequest, 'Request body is not valid JSON.');
      }
    } else {
      body = raw;
    }
  }
  return { method: req.method ?? 'GET', headers, search: url.search, body };
}

export async function executeGraphQL<C extends BaseContext>(
  apollo: ApolloServer<C>,
  request: HTTPGraphQLRequest,
  context: () => Promise<C>,
  res: ServerResponse,
  extraHeaders: Record<string, string> = {},
): Promise<number> {
  const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: request, context });
  const status = response.status ?? 200;
  const headers: Record<string, string> = { ...extraHeaders };
  for (const [key, value] of response.headers) headers[key] = value;
  res.writeHead(status, headers);
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
  } else {
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }
  return status;
}

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface HttpApp {
  readonly server: Server;
  /** True once stop() began: readiness reports 503 from then on. */
  readonly draining: boolean;
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, lets in-flight requests finish (bounded by the timeout), then closes everything. */
  stop(): Promise<void>;
}

/**
 * A plain node:http server with exact-path routes, in-flight tracking for graceful shutdown, and a
 * last-resort handler so an unexpected throw answers 500 instead of killing the process.
 */
export function createHttpApp(options: {
  routes: Record<string, Route>;
  logger: Logger;
  shutdownTimeoutMs: number;
  /** Called as soon as stop() begins, before waiting for in-flight requests: end long-lived streams here. */
  onDrain?: () => void;
  onStop?: () => Promise<void>;
}): HttpApp {
  let inFlight = 0;
  let draining = false;
  let idle: (() => void) | undefined;
  const server = createServer(async (req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (draining && inFlight === 0) idle?.();
    });
    if (draining) res.setHeader('connection', 'close');
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const route = options.routes[path];
    try {
      if (!route) throw new HttpError(404, ErrorCode.NotFound, 'Not found.');
      await route(req, res);
    } catch (error) {
      if (error instanceof HttpError) return sendError(res, error);
      options.logger.error({ err: error, path }, 'unhandled request error');
      sendError(res, new HttpError(500, ErrorCode.InternalServerError, 'Internal server error'));
    }
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;

  let stopping: Promise<void> | undefined;
  return {
    server,
    get draining() {
      return draining;
    },
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${address.port}`);
        });
      });
    },
    stop() {
      stopping ??= (async () => {
        draining = true;
        options.onDrain?.();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          await Promise.race([
            new Promise<void>((resolve) => (idle = resolve)),
            new Promise<void>((resolve) => setTimeout(resolve, options.shutdownTimeoutMs).unref()),
          ]);
        }
        server.closeAllConnections();
        await closed;
        await options.onStop?.();
      })();
      return stopping;
    },
  };
}
