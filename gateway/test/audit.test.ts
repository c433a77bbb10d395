import { startStack } from '@brigade/testing';
import { describe, expect, it } from 'vitest';
import { auditGraphQL, formatAudit } from '../../scripts/audit-graphql.js';

describe('npm run audit:graphql', () => {
  it('when run against a production-mode stack, then every check passes, direct subgraph calls included', async () => {
    const stack = await startStack({ env: { NODE_ENV: 'production' }, only: ['auth', 'menu'] });
    try {
      const created = await stack.query('mutation { createApiKey(input: { name: "audit", scopes: ["orders:manage"] }) { secret } }', {
        token: await stack.adminToken(),
      });
      const apiKey = created.data!.createApiKey.secret as string;
      const results = await auditGraphQL({ url: stack.url, subgraphUrl: stack.services.menu.url, apiKey });
      expect(
        results.filter((r) => !r.pass),
        formatAudit(results),
      ).toEqual([]);
      expect(results.length).toBeGreaterThanOrEqual(21);
      expect(results.map((r) => r.name)).toEqual(
        expect.arrayContaining([
          'Unknown API key refused (401)',
          'API key acts for no user (me → FORBIDDEN)',
          'API key plus bearer token refused',
        ]),
      );
      expect(formatAudit(results)).not.toContain(apiKey);
    } finally {
      await stack.stop();
    }
  });

  it('when run against a development-mode stack, then the development conveniences are reported as failures', async () => {
    const stack = await startStack({ only: ['menu'] });
    try {
      const results = await auditGraphQL({ url: stack.url });
      const failed = results.filter((r) => !r.pass).map((r) => r.name);
      expect(failed).toEqual(
        expect.arrayContaining([
          'Introspection disabled',
          'Field suggestions hidden',
          'No IDE / landing page (GET /)',
          'Errors without stack traces / internals',
        ]),
      );
      // What development keeps safe still passes.
      const passed = results.filter((r) => r.pass).map((r) => r.name);
      expect(passed).toEqual(
        expect.arrayContaining([
          'Array batching refused',
          'Circular introspection refused',
          'Directive overloading refused',
          'text/plain POST (CSRF) refused',
          'Garbage JWT refused (401)',
        ]),
      );
      expect(formatAudit(results)).toMatch(/checks failed\.$/);
    } finally {
      await stack.stop();
    }
  });
});
