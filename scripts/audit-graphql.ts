/**
 * Security audit of a running GraphQL endpoint: graphql-cop's checks plus Brigade's JWT, API key, CSRF
 * and direct-subgraph checks. Prints a pass/fail table; exits 1 when any check fails.
 *
 *   npm run audit:graphql -- http://127.0.0.1:4000/graphql [--subgraph http://127.0.0.1:4002/graphql]
 *     [--api-key-env BRIGADE_API_KEY]   # a real key, read from that variable (never from argv: ps shows argv)
 */
import { pathToFileURL } from 'node:url';

export interface AuditCheck {
  readonly name: string;
  readonly pass: boolean;
  /** What was seen, for the table (never a secret). */
  readonly detail: string;
}

export interface AuditOptions {
  /** The gateway's GraphQL URL. */
  readonly url: string;
  /** A subgraph's GraphQL URL: it must refuse a call without an internal credential. */
  readonly subgraphUrl?: string;
  /** A live API key: checks that it acts for no user and is refused alongside a token. Never printed. */
  readonly apiKey?: string;
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
}

interface Reply {
  status: number;
  text: string;
  json: any;
}

const IDE_MARKERS = /graphiql|graphql-playground|embeddable-sandbox|apollo-server-landing-page|altair|sandbox\.embed/i;

export async function auditGraphQL(options: AuditOptions): Promise<AuditCheck[]> {
  const url = options.url;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const send = async (target: string, init: RequestInit = {}): Promise<Reply> => {
    const response = await fetch(target, { ...init, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, text, json };
  };
  const postJson = (body: unknown, headers: Record<string, string> = {}, target = url) =>
    send(target, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const ran = (reply: Reply) => reply.status === 200 && reply.json?.data != null && !reply.json?.errors;
  const get = (query: string, headers: Record<string, string> = {}) => send(`${url}?query=${encodeURIComponent(query)}`, { headers });
  const leaksInternals = (reply: Reply) => /"(stacktrace|exception)"/.test(reply.text) || /\bat .+\.(ts|js):\d+/.test(reply.text);

  const checks: [string, () => Promise<[boolean, string]>][] = [
    [
      'Field suggestions hidden',
      async () => {
        const reply = await postJson({ query: '{ __schema { directive } }' });
        return [!/did you mean/i.test(reply.text), `HTTP ${reply.status}`];
      },
    ],
    [
      'Introspection disabled',
      async () => {
        const reply = await postJson({ query: '{ __schema { queryType { name } } }' });
        return [!reply.json?.data?.__schema, `HTTP ${reply.status}`];
      },
    ],
    [
      'No IDE / landing page (GET /)',
      async () => {
        const accept = { accept: 'text/html' };
        const replies = [await send(new URL('/', url).toString(), { headers: accept }), await send(url, { headers: accept })];
        const found = replies.find((r) => r.status === 200 && IDE_MARKERS.test(r.text));
        return [!found, replies.map((r) => `HTTP ${r.status}`).join(', ')];
      },
    ],
    [
      'GET queries need a preflight header',
      async () => {
        const reply = await get('{ __typename }');
        return [!ran(reply), `HTTP ${reply.status}`];
      },
    ],
    [
      'Alias overloading (101 aliases) refused',
      async () => {
        const aliases = Array.from({ length: 101 }, (_, i) => `a${i}: __typename`).join(' ');
        const reply = await postJson({ query: `{ ${aliases} }` });
        return [!ran(reply), `HTTP ${reply.status}`];
      },
    ],
    [
      'Array batching refused',
      async () => {
        const reply = await postJson([{ query: '{ __typename }' }, { query: '{ __typename }' }]);
        return [!Array.isArray(reply.json), `HTTP ${reply.status}`];
      },
    ],
    [
      'No trace mode (extensions.tracing)',
      async () => {
        const reply = await postJson({ query: '{ __typename }' }, { 'apollo-federation-include-trace': 'ftv1' });
        const extensions = reply.json?.extensions ?? {};
        return [!('tracing' in extensions) && !('ftv1' in extensions), `HTTP ${reply.status}`];
      },
    ],
    [
      'Directive overloading refused',
      async () => {
        const reply = await postJson({ query: `{ __typename ${'@aa'.repeat(100)} }` });
        const errors = Array.isArray(reply.json?.errors) ? reply.json.errors.length : 0;
        return [!ran(reply) && errors < 10, `HTTP ${reply.status}, ${errors} error(s)`];
      },
    ],
    [
      'Circular introspection refused',
      async () => {
        const reply = await postJson({
          query: '{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }',
        });
        return [!reply.json?.data?.__schema, `HTTP ${reply.status}`];
      },
    ],
    [
      'No mutations over GET',
      async () => {
        const reply = await get('mutation { __typename }', { 'apollo-require-preflight': 'true' });
        return [!ran(reply), `HTTP ${reply.status}`];
      },
    ],
    [
      'Form POST (CSRF) refused',
      async () => {
        const reply = await send(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `query=${encodeURIComponent('{ __typename }')}`,
        });
        return [!ran(reply), `HTTP ${reply.status}`];
      },
    ],
    [
      'text/plain POST (CSRF) refused',
      async () => {
        const reply = await send(url, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
        return [!ran(reply), `HTTP ${reply.status}`];
      },
    ],
    [
      'Errors without stack traces / internals',
      async () => {
        const replies = [
          await postJson({ query: 'qwerty cop { abc }' }),
          await postJson({ query: '{ __typename }', variables: 'not-an-object' }),
          await send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":' }),
          await postJson({ query: 'query($x: Int!) { __typename }', variables: { x: 'nan' } }),
        ];
        const leaking = replies.filter(leaksInternals);
        return [leaking.length === 0, leaking.length ? `${leaking.length} response(s) leak` : replies.map((r) => r.status).join(', ')];
      },
    ],
    [
      'JWT alg=none refused (401)',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'admin', scope: 'users:manage', iat: now, exp: now + 600 })}.`;
        const reply = await postJson({ query: '{ __typename }' }, { authorization: `Bearer ${token}` });
        return [reply.status === 401, `HTTP ${reply.status}`];
      },
    ],
    [
      'Garbage JWT refused (401)',
      async () => {
        const reply = await postJson({ query: '{ __typename }' }, { authorization: 'Bearer not.a.jwt' });
        return [reply.status === 401, `HTTP ${reply.status}`];
      },
    ],
    [
      'Unknown API key refused (401)',
      async () => {
        const reply = await postJson({ query: '{ __typename }' }, { 'x-api-key': `brg_${'0'.repeat(32)}_${'A'.repeat(43)}` });
        return [reply.status === 401 && reply.json?.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED', `HTTP ${reply.status}`];
      },
    ],
    [
      'Malformed / truncated API key refused (401), not echoed',
      async () => {
        const sent = 'brg_0123456789abcdef0123456789abcdef_truncat';
        const reply = await postJson({ query: '{ __typename }' }, { 'x-api-key': sent });
        return [reply.status === 401 && !reply.text.includes(sent), `HTTP ${reply.status}`];
      },
    ],
    [
      'API key verification not in the public API',
      async () => {
        const reply = await postJson({ query: '{ apiKeyGrant(secret: "brg_x") { keyId scopes } }' });
        // Unknown to the API schema: a validation error, no data at all (a null would mean it resolved).
        return [reply.json?.data?.apiKeyGrant === undefined && Array.isArray(reply.json?.errors), `HTTP ${reply.status}`];
      },
    ],
  ];
  if (options.apiKey) {
    const key = { 'x-api-key': options.apiKey };
    const hides = (reply: Reply) => !reply.text.includes(options.apiKey!);
    checks.push([
      'API key acts for no user (me → FORBIDDEN)',
      async () => {
        const reply = await postJson({ query: '{ me { id } }' }, key);
        const code = reply.json?.errors?.[0]?.extensions?.code;
        return [
          reply.status === 200 && code === 'FORBIDDEN' && reply.json?.data?.me == null && hides(reply),
          `HTTP ${reply.status}, ${code}`,
        ];
      },
    ]);
    checks.push([
      'API key plus bearer token refused',
      async () => {
        const reply = await postJson({ query: '{ __typename }' }, { ...key, authorization: 'Bearer not.a.jwt' });
        return [(reply.status === 400 || reply.status === 401) && !ran(reply) && hides(reply), `HTTP ${reply.status}`];
      },
    ]);
  }
  if (options.subgraphUrl) {
    const subgraphUrl = options.subgraphUrl;
    checks.push([
      'Subgraph refuses direct calls (401)',
      async () => {
        const reply = await postJson({ query: '{ __typename }' }, {}, subgraphUrl);
        return [reply.status === 401, `HTTP ${reply.status}`];
      },
    ]);
  }

  const results: AuditCheck[] = [];
  for (const [name, run] of checks) {
    try {
      const [pass, detail] = await run();
      results.push({ name, pass, detail });
    } catch (error) {
      results.push({ name, pass: false, detail: `request failed: ${(error as Error).message}` });
    }
  }
  return results;
}

export function formatAudit(results: readonly AuditCheck[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const rows = results.map((r) => `${r.pass ? 'PASS' : 'FAIL'}  ${r.name.padEnd(width)}  ${r.detail}`);
  const failed = results.filter((r) => !r.pass).length;
  return [...rows, '', failed ? `${failed} of ${results.length} checks failed.` : `All ${results.length} checks passed.`].join('\n');
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  const at = args.indexOf('--subgraph');
  const subgraphUrl = at >= 0 ? args.splice(at, 2)[1] : undefined;
  const keyAt = args.indexOf('--api-key-env');
  const keyVariable = keyAt >= 0 ? args.splice(keyAt, 2)[1] : undefined;
  const apiKey = keyVariable ? process.env[keyVariable] : undefined;
  const url = args.find((a) => !a.startsWith('-'));
  if (!url || (at >= 0 && !subgraphUrl) || (keyAt >= 0 && !apiKey)) {
    console.error('usage: npm run audit:graphql -- <gateway url> [--subgraph <subgraph url>] [--api-key-env <VARIABLE holding a key>]');
    return 2;
  }
  const results = await auditGraphQL({ url, ...(subgraphUrl ? { subgraphUrl } : {}), ...(apiKey ? { apiKey } : {}) });
  console.log(formatAudit(results));
  return results.every((r) => r.pass) ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
