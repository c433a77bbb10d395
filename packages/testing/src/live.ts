/** A result as a stream delivers it (an event, a refusal, or the error a server ended the stream with). */
export interface LiveResult {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export type LiveTransport = 'sse' | 'multipart';

export interface LiveOptions {
  query: string;
  variables?: Record<string, unknown>;
  token?: string;
  transport: LiveTransport;
  headers?: Record<string, string>;
  /** SSE only: send the operation as GET query parameters (as EventSource does). */
  method?: 'GET' | 'POST';
}

export interface LiveStream {
  /** The HTTP status (streams answer 200, even for a refused subscription; 401 for a bad token). */
  readonly status: number;
  readonly contentType: string;
  /** Every result received so far. */
  readonly results: LiveResult[];
  /** Heartbeats received (multipart `{}` parts, SSE comments). */
  readonly heartbeats: number;
  /** The next result, or 'end' once the server ended the stream; rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<LiveResult | 'end'>;
  /**
   * The next result `match` accepts, skipping others, or 'end'. A board streams every order's changes, and one
   * committed just before the subscription began may still arrive after it: a test waits for the one it caused.
   */
  nextWhere(match: (result: LiveResult) => boolean, timeoutMs?: number): Promise<LiveResult | 'end'>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  /** Closes the connection from the client's side. */
  close(): void;
}

/**
 * Subscribes at the gateway the way a client would, over GraphQL over SSE (distinct connections) or
 * Apollo's multipart subscription protocol, and reads the stream as it comes.
 */
export async function subscribe(url: string, options: LiveOptions): Promise<LiveStream> {
  const abort = new AbortController();
  const accept = options.transport === 'sse' ? 'text/event-stream' : 'multipart/mixed;subscriptionSpec="1.0", application/json';
  const headers: Record<string, string> = {
    accept,
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...options.headers,
  };
  let target = url;
  let body: string | undefined;
  if (options.method === 'GET') {
    const u = new URL(url);
    u.searchParams.set('query', options.query);
    if (options.variables) u.searchParams.set('variables', JSON.stringify(options.variables));
    target = u.toString();
  } else {
    headers['content-type'] = 'application/json';
    body = JSON.stringify({ query: options.query, variables: options.variables });
  }
  const response = await fetch(target, { method: options.method ?? 'POST', headers, body, signal: abort.signal });
  const results: LiveResult[] = [];
  const waiters: ((r: LiveResult | 'end') => void)[] = [];
  let read = 0;
  let heartbeats = 0;
  let done = false;
  let endedResolve!: () => void;
  const ended = new Promise<void>((resolve) => (endedResolve = resolve));
  const push = (result: LiveResult) => {
    results.push(result);
    const waiter = waiters.shift();
    if (waiter) {
      read++;
      waiter(result);
    }
  };
  const finish = () => {
    if (done) return;
    done = true;
    endedResolve();
    for (const waiter of waiters.splice(0)) waiter('end');
  };

  const contentType = response.headers.get('content-type') ?? '';
  void (async () => {
    if (!response.body) return finish();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        if (contentType.startsWith('text/event-stream')) {
          let index: number;
          while ((index = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, index);
            buffer = buffer.slice(index + 2);
            if (block.startsWith(':')) {
              heartbeats++;
              continue;
            }
            const event = /^event: ?(.*)$/m.exec(block)?.[1];
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).replace(/^ /, ''))
              .join('\n');
            if (event === 'next') push(JSON.parse(data) as LiveResult);
            if (event === 'complete') finish();
          }
        } else if (contentType.startsWith('multipart/mixed')) {
          const boundary = '\r\n--graphql';
          let index: number;
          while ((index = buffer.indexOf(boundary)) >= 0) {
            const part = buffer.slice(0, index);
            buffer = buffer.slice(index + boundary.length);
            const bodyStart = part.indexOf('\r\n\r\n');
            if (bodyStart >= 0) {
              const parsed = JSON.parse(part.slice(bodyStart + 4)) as { payload?: LiveResult | null; errors?: LiveResult['errors'] };
              if (!('payload' in parsed)) heartbeats++;
              else if (parsed.payload === null) push({ errors: parsed.errors ?? [] });
              else push(parsed.payload!);
            }
            if (buffer.startsWith('--')) return finish();
          }
          if (buffer.startsWith('--')) return finish();
        } else {
          // Not a stream (a 401, a plain JSON answer): one result.
          continue;
        }
      }
      if (!contentType.startsWith('text/event-stream') && !contentType.startsWith('multipart/mixed') && buffer) {
        push(JSON.parse(buffer) as LiveResult);
      }
    } catch {
      // aborted by close(), or the connection dropped
    }
    finish();
  })();

  const stream: LiveStream = {
    status: response.status,
    contentType,
    results,
    get heartbeats() {
      return heartbeats;
    },
    ended,
    next(timeoutMs = 10_000) {
      if (read < results.length) return Promise.resolve(results[read++]!);
      if (done) return Promise.resolve('end');
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`no live result within ${timeoutMs} ms (got ${JSON.stringify(results)})`));
        }, timeoutMs);
        const waiter = (r: LiveResult | 'end') => {
          clearTimeout(timer);
          resolve(r);
        };
        waiters.push(waiter);
      });
    },
    async nextWhere(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const result = await stream.next(Math.max(0, deadline - Date.now()));
        if (result === 'end' || match(result)) return result;
      }
    },
    close() {
      abort.abort();
    },
  };
  return stream;
}
