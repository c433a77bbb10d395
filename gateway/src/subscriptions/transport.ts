import type { IncomingMessage, ServerResponse } from 'node:http';

/** A formatted GraphQL result as sent to clients. */
export type ResultBody = Record<string, unknown>;

/**
 * The two ways a client asks for a stream at /graphql, with one semantics: Apollo's multipart HTTP
 * subscription protocol (what Apollo Client 4's HttpLink and Sandbox send) and GraphQL over SSE in
 * graphql-sse's distinct-connections mode (EventSource, curl, graphql-sse's client).
 */
export type TransportKind = 'multipart' | 'sse';

export function streamingTransportOf(req: IncomingMessage): TransportKind | undefined {
  const accept = String(req.headers.accept ?? '');
  if (/multipart\/mixed[^,]*subscriptionSpec\s*=\s*"?1\.0/i.test(accept)) return 'multipart';
  if (/\btext\/event-stream\b/i.test(accept)) return 'sse';
  return undefined;
}

export interface StreamWriter {
  readonly kind: TransportKind;
  /** Starts the response (status 200 and the stream's headers). */
  open(extraHeaders: Record<string, string>): void;
  /** One result; false when the socket's buffer is full (wait for 'drain'). */
  result(body: ResultBody): boolean;
  /** Keeps idle connections (and proxies) open. */
  heartbeat(): void;
  /** Ends the stream, with a terminal error when the server ends it. */
  end(errors?: readonly Record<string, unknown>[]): void;
}

export function createWriter(kind: TransportKind, res: ServerResponse): StreamWriter {
  return kind === 'sse' ? new SseWriter(res) : new MultipartWriter(res);
}

class SseWriter implements StreamWriter {
  readonly kind = 'sse' as const;
  constructor(private readonly res: ServerResponse) {}

  open(extraHeaders: Record<string, string>): void {
    this.res.writeHead(200, {
      ...extraHeaders,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    this.res.flushHeaders();
  }

  result(body: ResultBody): boolean {
    return this.res.write(`event: next\ndata: ${JSON.stringify(body)}\n\n`);
  }

  heartbeat(): void {
    this.res.write(':\n\n');
  }

  end(errors?: readonly Record<string, unknown>[]): void {
    if (this.res.writableEnded) return;
    if (errors?.length) this.result({ errors });
    this.res.end('event: complete\ndata:\n\n');
  }
}

const BOUNDARY = 'graphql';
const DELIMITER = `\r\n--${BOUNDARY}`;
/** Each part is followed by the delimiter at once, so a client parses it without waiting for the next. */
const part = (json: string) => `\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${json}${DELIMITER}`;

class MultipartWriter implements StreamWriter {
  readonly kind = 'multipart' as const;
  constructor(private readonly res: ServerResponse) {}

  open(extraHeaders: Record<string, string>): void {
    this.res.writeHead(200, {
      ...extraHeaders,
      'content-type': `multipart/mixed;boundary="${BOUNDARY}";subscriptionSpec="1.0"`,
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    // The first heartbeat tells the client the subscription is open.
    this.res.write(DELIMITER);
    this.heartbeat();
  }

  result(body: ResultBody): boolean {
    return this.res.write(part(JSON.stringify({ payload: body })));
  }

  heartbeat(): void {
    this.res.write(part('{}'));
  }

  end(errors?: readonly Record<string, unknown>[]): void {
    if (this.res.writableEnded) return;
    // Apollo's protocol carries a server-side end as a transport error: no payload, the errors beside it.
    if (errors?.length) this.res.write(part(JSON.stringify({ payload: null, errors })));
    this.res.end('--\r\n');
  }
}
