/**
 * `SERVICE=web` in the image (deploy/entrypoint.sh), or `npm run serve -w @brigade/web`: serves the built
 * app. WEB_PORT or PORT (default 8080), HOST (default 127.0.0.1), WEB_GRAPHQL_URL (default `/graphql`, the
 * gateway behind the same origin), WEB_DIST (default clients/web/dist).
 */
import { z } from 'zod';
import { createWebServer } from './static.js';

const parsed = z
  .object({
    WEB_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
    PORT: z.coerce.number().int().min(0).max(65_535).optional(),
    HOST: z.string().min(1).default('127.0.0.1'),
    WEB_GRAPHQL_URL: z.string().min(1).default('/graphql'),
    WEB_DIST: z.string().min(1).optional(),
  })
  .safeParse(process.env);
if (!parsed.success) {
  console.error(`web: bad configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  process.exit(1);
}
const env = parsed.data;
const server = createWebServer({ graphqlUrl: env.WEB_GRAPHQL_URL, ...(env.WEB_DIST ? { root: env.WEB_DIST } : {}) });
try {
  const url = await server.listen(env.WEB_PORT ?? env.PORT ?? 8080, env.HOST);
  console.log(JSON.stringify({ level: 'info', msg: 'web app listening', url, graphqlUrl: env.WEB_GRAPHQL_URL }));
} catch (error) {
  console.error(`web: ${(error as Error).message}`);
  process.exit(1);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void server.close().then(() => process.exit(0)));
}
