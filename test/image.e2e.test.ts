/**
 * What the container image runs, without Docker: deploy/entrypoint.sh starts each of the seven services
 * from the build output (`npm run build`), with the image's ENV (NODE_ENV=production) and the environment
 * docker-compose.yml gives that service. Only what cannot exist here is swapped: compose's host names
 * become 127.0.0.1 on free ports, its PostgreSQL and Redis become the test ones (or PGlite in a data
 * folder and in-memory budgets without them). A module hook fails the process if anything resolves to a
 * TypeScript file or to tsx, TypeScript or esbuild, none of which the image holds (`npm prune --omit=dev`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropSchemas, scratchFolderSync } from '@brigade/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildManifest } from '../clients/web/scripts/manifest.js';
import { generateKeyring } from '../packages/platform/src/keys.js';
import { DEFAULT_PORTS, SERVICES, SUBGRAPHS, type ServiceName } from '../packages/platform/src/services.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');
type Env = Record<string, string>;

/** Rejects, at resolution time, every module the runtime image does not contain. */
const GUARD_HOOKS = `
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (/\\.(c|m)?ts$/.test(new URL(result.url).pathname) || /\\/node_modules\\/(typescript|tsx|esbuild)\\//.test(result.url)) {
    throw new Error('the image has no ' + result.url + ' (imported as ' + specifier + ')');
  }
  return result;
}`;
const GUARD = `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(GUARD_HOOKS)}`)});\n`;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** The image's ENV defaults (`ENV A=1 \ B=2` in the runtime stage). */
function dockerfileEnv(): Env {
  const runtime = read('Dockerfile').split(/^FROM .* AS runtime$/m)[1]!;
  const block = runtime.match(/^ENV ((?:.*\\\n)*.*)$/m)![1]!;
  return Object.fromEntries([...block.matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

/** Compose's `${A}`, `${A:-default}`, `${A:?message}` with stand-in secrets, as the deploy test fills them. */
function interpolate(value: string, secret: (name: string) => string): string {
  return value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::?([-?])([^}]*))?\}/g, (_whole, name: string, op?: string, arg?: string) =>
    op === '-' ? arg! : secret(name),
  );
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>, alive: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = alive();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the container image, run without Docker', () => {
  const work = scratchFolderSync('brigade-image-');
  const children = new Map<ServiceName, { child: ChildProcess; output: string[] }>();

  beforeAll(() => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    writeFileSync(join(work, 'guard.mjs'), GUARD);
  });

  afterAll(() => {
    for (const { child } of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it('keeps tsx, TypeScript and esbuild out of the production dependencies the image keeps', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    for (const name of ['tsx', 'typescript', 'esbuild']) expect(lock.packages[`node_modules/${name}`]?.dev, name).toBe(true);
    expect(read('deploy/entrypoint.sh')).not.toMatch(/--import[= ]tsx/);
  });

  it('starts every entry point from the build output with NODE_ENV=production and compose’s environment, and they serve the menu', async () => {
    const keyring = await generateKeyring();
    const compose = YAML.parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { environment: Env }> };
    const secret = (name: string): string => {
      const service = name.match(/^([A-Z]+)_SERVICE_KEY$/)?.[1]?.toLowerCase();
      if (service) return JSON.stringify(keyring.privateKeys[service as ServiceName]);
      if (name === 'SERVICE_TRUSTED_KEYS') return JSON.stringify(keyring.trusted);
      if (name === 'ADMIN_EMAIL') return 'admin@example.com';
      return `secret-${name.toLowerCase().replaceAll('_', '-')}-0123456789`;
    };
    const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await freePort()] as const))) as Record<
      ServiceName,
      number
    >;
    // The image's build stage writes the web app's manifest, which compose hands the gateway as its safelist.
    const manifest = join(work, 'persisted-query-manifest.json');
    const operations = await buildManifest();
    writeFileSync(manifest, JSON.stringify(operations));
    const menuOperation = operations.operations.find((o) => o.name === 'Menu')!;
    const tag = `img${process.pid}`;

    const envFor = (service: ServiceName): Env => {
      const env: Env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...dockerfileEnv(),
        DATA_DIR: join(work, 'data'),
        NODE_OPTIONS: `--import=${join(work, 'guard.mjs')}`,
      };
      for (const [name, raw] of Object.entries(compose.services[service]!.environment)) {
        let value = interpolate(String(raw), secret);
        // compose's service names resolve only inside its network: here they are local ports.
        for (const other of SERVICES) value = value.replaceAll(`//${other}:${DEFAULT_PORTS[other]}`, `//127.0.0.1:${ports[other]}`);
        if (value === '/app/clients/web/dist/persisted-query-manifest.json') value = manifest;
        env[name] = value;
      }
      env[`${service.toUpperCase()}_PORT`] = String(ports[service]);
      const database = `${service.toUpperCase()}_DATABASE_URL`;
      if (env[database]) {
        if (process.env.TEST_DATABASE_URL) {
          env[database] = process.env.TEST_DATABASE_URL;
          env[`${service.toUpperCase()}_DATABASE_SCHEMA`] = `${tag}_${service}`;
        } else delete env[database];
      }
      if (env.REDIS_URL) {
        if (process.env.TEST_REDIS_URL) env.REDIS_URL = process.env.TEST_REDIS_URL;
        else delete env.REDIS_URL;
      }
      return env;
    };

    const start = (service: ServiceName) => {
      const env = envFor(service);
      expect(env.NODE_ENV, service).toBe('production');
      expect(env.SERVICE, service).toBe(service);
      const child = spawn('sh', ['deploy/entrypoint.sh'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const output: string[] = [];
      for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      children.set(service, { child, output });
    };
    const alive = (service: ServiceName) => () => {
      const { child, output } = children.get(service)!;
      return child.exitCode === null ? undefined : `exited ${child.exitCode}:\n${output.join('').slice(-2000)}`;
    };
    const ok = (service: ServiceName, path: string) => async () =>
      (await fetch(`http://127.0.0.1:${ports[service]}${path}`, { signal: AbortSignal.timeout(2_000) })).ok;

    for (const subgraph of SUBGRAPHS) start(subgraph);
    await Promise.all(SUBGRAPHS.map((s) => until(`${s} /ready`, 180_000, ok(s, '/ready'), alive(s))));
    start('gateway');
    await until('gateway /ready', 120_000, ok('gateway', '/ready'), alive('gateway'));

    // Production runs only the web app's operations: the app's own menu query is served, a hand-written one refused.
    const query = async (text: string) => {
      const response = await fetch(`http://127.0.0.1:${ports.gateway}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: text }),
      });
      return (await response.json()) as { data?: { menu?: unknown[] }; errors?: { extensions?: { code?: string } }[] };
    };
    const body = await query(menuOperation.body);
    expect(body.errors).toBeUndefined();
    expect(body.data?.menu).toHaveLength(12);
    expect((await query('{ menu { name stock available } }')).errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');

    // SIGTERM, as the container runtime stops them: each drains and exits 0 (entrypoint.sh execs node).
    const exits = [...children.entries()].map(async ([service, { child }]) => {
      const exit = child.exitCode === null ? once(child, 'exit') : Promise.resolve([child.exitCode]);
      child.kill('SIGTERM');
      return [service, (await exit)[0]] as const;
    });
    expect(Object.fromEntries(await Promise.all(exits))).toEqual(Object.fromEntries(SERVICES.map((s) => [s, 0])));

    await dropSchemas(
      process.env.TEST_DATABASE_URL,
      SUBGRAPHS.map((service) => `${tag}_${service}`),
    );
  }, 360_000);
});
