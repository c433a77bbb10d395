/**
 * The deployment descriptions checked against the code, without Docker or a cluster: every subgraph of
 * supergraph.yaml is deployed, only the gateway is reachable from outside, probes hit real endpoints, the
 * entry point runs what `npm run start:<service>` runs, and each service's own `loadConfig` accepts the
 * environment it gets in production and resolves every URL it calls to a deployed service.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { generateKeyring, type ServiceKeyring } from '../packages/platform/src/keys.js';
import { DEFAULT_PORTS, SERVICES, STATIONS, SUBGRAPHS, type ServiceName } from '../packages/platform/src/services.js';
import { DEFAULT_OUT_DIR, MANIFEST_FILE } from '../clients/web/scripts/build.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');
type Env = Record<string, string>;
// Parsed YAML is walked freely; the assertions are what check its shape.
type Json = Record<string, any>;

const isStation = (s: string) => (STATIONS as readonly string[]).includes(s);
/** Where the image's build writes the web app's persisted query manifest, as the gateway loads it. */
const IMAGE_MANIFEST = `/app/${resolve(DEFAULT_OUT_DIR, MANIFEST_FILE).slice(ROOT.length)}`;
const WEB_PORT = 8080;

/** Each service's own configuration loader, as its main.ts calls it. */
async function loadServiceConfig(service: ServiceName, env: Env): Promise<Json> {
  const modules: Record<ServiceName, string> = {
    gateway: '../gateway/src/config.js',
    auth: '../subgraphs/auth/src/config.js',
    menu: '../subgraphs/menu/src/config.js',
    orders: '../subgraphs/orders/src/config.js',
    kitchen: '../subgraphs/station/src/config.js',
    bar: '../subgraphs/station/src/config.js',
    bakery: '../subgraphs/station/src/config.js',
  };
  const { loadConfig } = (await import(modules[service])) as { loadConfig: (env: Env) => Promise<Json> };
  return loadConfig(env);
}

/** The services a loaded configuration points at: host names of its http URLs. */
function calledHosts(config: Json): string[] {
  // CORS origins name who may call the gateway from a browser, not what it calls.
  const calls = config.protection?.cors ? { ...config, protection: { ...config.protection, cors: undefined } } : config;
  const hosts = [...JSON.stringify(calls).matchAll(/https?:\/\/([^/:"]+)(?::(\d+))?/g)].map((m) => `${m[1]}:${m[2]}`);
  return [...new Set(hosts)].sort();
}

// ---- the image ------------------------------------------------------------------------------------------

/** `name) entry=…; port=… ;;` lines of deploy/entrypoint.sh. */
function entrypointServices(): Record<string, { entry: string; port: number }> {
  const table: Record<string, { entry: string; port: number }> = {};
  for (const m of read('deploy/entrypoint.sh').matchAll(/^\s*([a-z]+)\) entry=(\S+); port=(\d+) ;;$/gm)) {
    table[m[1]!] = { entry: m[2]!, port: Number(m[3]) };
  }
  return table;
}

/** The image's ENV defaults (`ENV A=1 \ B=2`). */
function dockerfileEnv(): Env {
  const runtime = read('Dockerfile').split(/^FROM .* AS runtime$/m)[1]!;
  const block = runtime.match(/^ENV ((?:.*\\\n)*.*)$/m)![1]!;
  return Object.fromEntries([...block.matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

describe('container image', () => {
  it('runs exactly the services, entry files and ports the package scripts and platform define', () => {
    const table = entrypointServices();
    expect(Object.keys(table).sort()).toEqual([...SERVICES, 'web'].sort());
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(table.web).toEqual({ entry: 'clients/web/dist-server/main.js', port: WEB_PORT });
    expect(scripts['start:web']!.split(' ').at(-1)).toBe(table.web!.entry);
    expect(existsSync(resolve(ROOT, table.web!.entry))).toBe(true);
    for (const service of SERVICES) {
      expect(table[service]!.port, service).toBe(DEFAULT_PORTS[service]);
      const script = scripts[`start:${service}`];
      expect(script, `npm run start:${service}`).toBeDefined();
      expect(script!.split(' ').at(-1), service).toBe(table[service]!.entry);
      // Compiled output (`npm run build`, which the suite's global setup runs), never a TypeScript source.
      expect(table[service]!.entry, service).toMatch(/\/dist\/main\.js$/);
      expect(existsSync(resolve(ROOT, table[service]!.entry)), table[service]!.entry).toBe(true);
      if (isStation(service)) expect(script).toContain(`STATION=${service}`);
    }
  });

  it('refuses an unknown SERVICE instead of starting something', () => {
    let status: number | undefined;
    try {
      execFileSync('sh', [resolve(ROOT, 'deploy/entrypoint.sh')], { env: { ...process.env, SERVICE: 'payments' }, stdio: 'pipe' });
    } catch (error) {
      status = (error as { status?: number }).status;
    }
    expect(status).toBe(64);
  });

  it('builds in stages, prunes dev dependencies, runs as a non-root user in production mode with a /health check', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^RUN npm ci$/m);
    // Type-checked, compiled to JavaScript, then pruned to production dependencies: in that order.
    expect(dockerfile).toMatch(/npm run typecheck[\s\S]*npm run build[\s\S]*npm prune --omit=dev/);
    expect(dockerfile).not.toMatch(/--import[= ]tsx/);
    // The web app and its manifest are built before dev dependencies (Vite) are pruned.
    expect(dockerfile).toMatch(/npm run build -w @brigade\/web \\\n \&\& npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^COPY --from=build /m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*CMD \["\/app\/deploy\/entrypoint\.sh", "health"\]$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/deploy\/entrypoint\.sh"\]$/m);
    expect(dockerfileEnv()).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0' });
    expect(read('deploy/entrypoint.sh')).toContain("'/$mode'");
    // Every workspace manifest is copied before `npm ci`, or the workspace would be missing from the install.
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces.flatMap((pattern) =>
      pattern.endsWith('/*') ? readdirSync(resolve(ROOT, pattern.slice(0, -2))).map((d) => `${pattern.slice(0, -2)}/${d}`) : [pattern],
    );
    for (const dir of workspaces.filter((d) => existsSync(resolve(ROOT, d, 'package.json')))) {
      expect(dockerfile, dir).toContain(`COPY ${dir}/package.json ${dir}/`);
    }
  });

  it('keeps dependencies, data, tests, secrets and git out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['**/node_modules', '.data', '**/test', '.git', 'bench/results', '.env']) {
      expect(ignored, entry).toContain(entry);
    }
  });
});

// ---- docker-compose -------------------------------------------------------------------------------------

/** Names of the variables `.env.example` documents; commented ones are optional. */
function envExample(): { required: string[]; optional: string[] } {
  const text = read('.env.example');
  return {
    required: [...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!),
    optional: [...text.matchAll(/^# ([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!),
  };
}

/** Stand-in values for `.env`, by variable name. */
function fakeSecret(name: string, keyring: ServiceKeyring): string {
  const service = name.match(/^([A-Z]+)_SERVICE_KEY$/)?.[1]?.toLowerCase();
  if (service) return JSON.stringify(keyring.privateKeys[service as ServiceName]);
  if (name === 'SERVICE_TRUSTED_KEYS') return JSON.stringify(keyring.trusted);
  if (name === 'ADMIN_EMAIL') return 'admin@example.com';
  return `secret-${name.toLowerCase().replaceAll('_', '-')}-0123456789`;
}

/** Compose's interpolation: `${A}`, `${A:-default}`, `${A:?message}`, `$$`. */
function interpolate(value: string, dotenv: Env, used: Set<string>): string {
  return value.replace(/\$\$|\$\{([A-Z_][A-Z0-9_]*)(?::?([-?])([^}]*))?\}/g, (whole, name?: string, op?: string, arg?: string) => {
    if (whole === '$$') return '$';
    used.add(name!);
    const set = dotenv[name!];
    if (set) return set;
    if (op === '-') return arg!;
    throw new Error(`compose would stop: ${name} is not set (${arg})`);
  });
}

describe('docker-compose.yml', () => {
  let compose: Json;
  let keyring: ServiceKeyring;
  beforeAll(async () => {
    compose = YAML.parse(read('docker-compose.yml'), { merge: true }) as Json;
    keyring = await generateKeyring();
  });

  it('deploys every subgraph of supergraph.yaml and the gateway, plus PostgreSQL and Redis', () => {
    const subgraphs = Object.keys((YAML.parse(read('supergraph.yaml')) as Json).subgraphs).sort();
    expect(subgraphs).toEqual([...SUBGRAPHS].sort());
    expect(Object.keys(compose.services).sort()).toEqual([...SERVICES, 'web', 'postgres', 'redis'].sort());
    expect(compose.services.web.environment.SERVICE).toBe('web');
    for (const service of SERVICES) expect(compose.services[service].environment.SERVICE, service).toBe(service);
  });

  it("publishes only the gateway, on 4000, and the web app's files, on 8080; everything else is on the internal network only", () => {
    for (const [name, service] of Object.entries<Json>(compose.services)) {
      if (name === 'gateway') {
        expect(service.ports).toEqual(['${GATEWAY_PUBLISH:-4000}:4000']);
        expect(service.networks).toEqual(['internal', 'edge']);
      } else if (name === 'web') {
        // Static files only: the browser calls the gateway, so the web container reaches no service.
        expect(service.ports).toEqual([`\${WEB_PUBLISH:-${WEB_PORT}}:${WEB_PORT}`]);
        expect(service.networks).toEqual(['edge']);
        expect(service.depends_on).toBeUndefined();
      } else {
        expect(service.ports, name).toBeUndefined();
        expect(service.networks, name).toEqual(['internal']);
      }
    }
    expect(compose.networks.internal.internal).toBe(true);
  });

  it('gives every container a healthcheck and starts dependants only once it is healthy', () => {
    for (const [name, service] of Object.entries<Json>(compose.services)) {
      expect(service.healthcheck?.test, name).toBeDefined();
      if ((SERVICES as readonly string[]).includes(name)) {
        expect(service.healthcheck.test, name).toEqual(['CMD', '/app/deploy/entrypoint.sh', 'ready']);
      }
      for (const [dependency, condition] of Object.entries<Json>(service.depends_on ?? {})) {
        expect(compose.services[dependency], `${name} → ${dependency}`).toBeDefined();
        expect(condition, `${name} → ${dependency}`).toEqual({ condition: 'service_healthy' });
      }
    }
    expect(Object.keys(compose.services.gateway.depends_on).sort()).toEqual([...SUBGRAPHS, 'redis'].sort());
    for (const subgraph of SUBGRAPHS) expect(compose.services[subgraph].depends_on, subgraph).toHaveProperty('postgres');
  });

  it('uses exactly the variables .env.example documents', () => {
    const { required, optional } = envExample();
    const used = new Set<string>();
    const all = Object.fromEntries([...required, ...optional].map((n) => [n, 'x']));
    const strings = (value: unknown): string[] =>
      typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(strings) : [];
    for (const value of strings(compose)) interpolate(value, all, used);
    expect([...used].sort()).toEqual([...required, ...optional].sort());
    // A variable missing from .env stops compose instead of starting a service without it.
    expect(() => strings(compose).forEach((value) => interpolate(value, {}, new Set()))).toThrow(/is not set/);
  });

  it("satisfies each service's loadConfig in production, with its own key and only deployed URLs", async () => {
    const { required } = envExample();
    const dotenv = Object.fromEntries(required.map((name) => [name, fakeSecret(name, keyring)]));
    const ports = new Map<string, string>(SERVICES.map((s) => [`${s}:${DEFAULT_PORTS[s]}`, s]));
    for (const service of SERVICES) {
      const declared = compose.services[service].environment as Env;
      const env: Env = {
        ...dockerfileEnv(),
        ...Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, interpolate(String(v), dotenv, new Set())])),
      };
      if (isStation(service)) expect(env.STATION, service).toBe(service);
      const config = await loadServiceConfig(service, env);
      expect(config.production, service).toBe(true);
      expect(config.host, service).toBe('0.0.0.0');
      expect(config.port, service).toBe(DEFAULT_PORTS[service]);
      expect(config.signingKey, service).toEqual(keyring.privateKeys[service]);
      if (service !== 'gateway') {
        expect(config.databaseUrl, service).toBe(
          `postgres://${service}:${dotenv[`${service.toUpperCase()}_DB_PASSWORD`]}@postgres:5432/${service}`,
        );
      }
      // Every address the service will call is a compose service on its own port, never a localhost default.
      for (const host of calledHosts(config)) expect(ports.has(host), `${service} calls ${host}`).toBe(true);
    }
    const gateway = await loadServiceConfig('gateway', {
      ...dockerfileEnv(),
      ...Object.fromEntries(
        Object.entries<string>(compose.services.gateway.environment).map(([k, v]) => [k, interpolate(v, dotenv, new Set())]),
      ),
    });
    expect(Object.keys(gateway.subgraphUrls).sort()).toEqual([...SUBGRAPHS].sort());
    // Published directly: the socket address is the client's, and a forged X-Forwarded-For buys nothing.
    expect((gateway as unknown as { protection: { rateLimit: { trustProxy: boolean } } }).protection.rateLimit.trustProxy).toBe(false);
    // Production: only the web app's operations run, and the web app's origin may call from a browser.
    expect(gateway.protection.persisted).toMatchObject({ manifestPath: IMAGE_MANIFEST, enforce: true });
    expect(gateway.protection.cors.origins).toEqual(['http://localhost:8080']);
    const web = compose.services.web.environment as Env;
    expect(interpolate(web.WEB_GRAPHQL_URL!, dotenv, new Set())).toBe('http://localhost:4000/graphql');
  });

  it('creates one database and login per subgraph in PostgreSQL, with passwords from the environment', () => {
    const init = read('deploy/postgres/init.sh');
    const listed = init.match(/^for service in (.*); do$/m)![1]!.split(' ');
    expect(listed.sort()).toEqual([...SUBGRAPHS].sort());
    expect(compose.services.postgres.volumes).toContain('./deploy/postgres/init.sh:/docker-entrypoint-initdb.d/10-brigade.sh:ro');
    for (const s of SUBGRAPHS) expect(compose.services.postgres.environment).toHaveProperty(`${s.toUpperCase()}_DB_PASSWORD`);
  });
});

// ---- Kubernetes -----------------------------------------------------------------------------------------

describe('deploy/k8s', () => {
  const dir = resolve(ROOT, 'deploy/k8s');
  let kustomization: Json;
  let docs: Json[];
  const of = (kind: string) => docs.filter((d) => d.kind === kind);
  const named = (kind: string, name: string) => of(kind).find((d) => d.metadata.name === name)!;

  beforeAll(() => {
    kustomization = YAML.parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Json;
    docs = (kustomization.resources as string[]).flatMap((file) =>
      YAML.parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJSON() as Json),
    );
  });

  it('lists every manifest in the kustomization and generates the supergraph ConfigMap from the real file', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...(kustomization.resources as string[])].sort()).toEqual(files.sort());
    const generator = (kustomization.configMapGenerator as Json[]).find((g) => g.name === 'brigade-supergraph')!;
    const [key, path] = (generator.files[0] as string).split('=');
    expect(key).toBe('supergraph.graphql');
    expect(resolve(dir, path!)).toBe(resolve(ROOT, 'supergraph.graphql'));
    // Secrets are referenced by the Deployments, never committed.
    expect(of('Secret')).toEqual([]);
  });

  it('deploys every service with the right port, probes, resources and a locked-down container', () => {
    expect(
      of('Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual([...SERVICES, 'web'].sort());
    const web = named('Deployment', 'web').spec.template.spec;
    expect(web.containers[0].args).toEqual(['web']);
    expect(web.containers[0].ports).toEqual([{ name: 'http', containerPort: WEB_PORT }]);
    expect(web.containers[0].readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(web.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(web.containers[0].env).not.toContainEqual(expect.objectContaining({ valueFrom: expect.anything() }));
    expect(named('Service', 'web').spec.ports).toEqual([{ name: 'http', port: WEB_PORT, targetPort: 'http' }]);
    for (const service of SERVICES) {
      const pod = named('Deployment', service).spec.template.spec;
      const [container] = pod.containers as Json[];
      expect(container!.args, service).toEqual([service]);
      expect(container!.ports, service).toEqual([{ name: 'http', containerPort: DEFAULT_PORTS[service] }]);
      expect(container!.readinessProbe.httpGet, service).toEqual({ path: '/ready', port: 'http' });
      expect(container!.livenessProbe.httpGet, service).toEqual({ path: '/health', port: 'http' });
      expect(container!.resources.requests, service).toHaveProperty('memory');
      expect(container!.resources.limits, service).toHaveProperty('memory');
      expect(pod.securityContext.runAsNonRoot, service).toBe(true);
      expect(container!.securityContext, service).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      const svc = named('Service', service);
      expect(svc.spec.type, service).toBe('ClusterIP');
      expect(svc.spec.ports, service).toEqual([{ name: 'http', port: DEFAULT_PORTS[service], targetPort: 'http' }]);
    }
    const hpa = named('HorizontalPodAutoscaler', 'gateway');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'gateway' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
  });

  /** A container's environment with every Secret reference filled by a stand-in. */
  function podEnv(service: ServiceName, keyring: ServiceKeyring): Env {
    const [container] = named('Deployment', service).spec.template.spec.containers as Json[];
    const env: Env = { ...dockerfileEnv() };
    for (const source of container!.envFrom as Json[]) Object.assign(env, named('ConfigMap', source.configMapRef.name).data);
    for (const variable of container!.env as Json[]) {
      const ref = variable.valueFrom?.secretKeyRef as Json | undefined;
      if (!ref) {
        env[variable.name] = variable.value;
        continue;
      }
      expect(ref.name, `${service} ${variable.name}`).toMatch(/^brigade-/);
      if (ref.key === 'SERVICE_SIGNING_KEY') {
        // Each service's own Secret, so no pod can read another service's private key.
        expect(ref.name, service).toBe(`brigade-${service}`);
        env[variable.name] = JSON.stringify(keyring.privateKeys[service]);
      } else if (ref.key === 'DATABASE_URL') {
        env[variable.name] = `postgres://${service}:pw@postgres.example:5432/${service}`;
      } else if (ref.key === 'REDIS_URL') {
        env[variable.name] = 'redis://:pw@redis.example:6379';
      } else {
        env[variable.name] = fakeSecret(ref.key, keyring);
      }
    }
    return env;
  }

  it("satisfies each service's loadConfig, and the NetworkPolicy admits exactly the calls the code makes", async () => {
    const keyring = await generateKeyring();
    const ports = new Map<string, string>(SERVICES.map((s) => [`${s}:${DEFAULT_PORTS[s]}`, s]));
    const callers = new Map<string, Set<string>>(SERVICES.map((s) => [s, new Set()]));
    for (const service of SERVICES) {
      const config = await loadServiceConfig(service, podEnv(service, keyring));
      expect(config.production, service).toBe(true);
      expect(config.host, service).toBe('0.0.0.0');
      expect(config.signingKey, service).toEqual(keyring.privateKeys[service]);
      if (service !== 'gateway') expect(config.databaseUrl, service).toMatch(/^postgres:\/\//);
      for (const host of calledHosts(config)) {
        expect(ports.has(host), `${service} calls ${host}`).toBe(true);
        callers.get(ports.get(host)!)!.add(service);
      }
    }
    expect(named('Deployment', 'gateway').spec.template.spec.containers[0].env).toContainEqual({
      name: 'SUPERGRAPH_PATH',
      value: '/config/supergraph/supergraph.graphql',
    });
    // Behind the Ingress controller: the client is the address it appends to X-Forwarded-For, or every client
    // would share the controller's per-IP budget.
    const gatewayConfig = (await loadServiceConfig('gateway', podEnv('gateway', keyring))) as unknown as {
      protection: { rateLimit: { trustProxy: boolean } };
    };
    expect(gatewayConfig.protection.rateLimit.trustProxy).toBe(true);
    const gateway = await loadServiceConfig('gateway', podEnv('gateway', keyring));
    expect(gateway.protection.persisted).toMatchObject({ manifestPath: IMAGE_MANIFEST, enforce: true });

    const policies = of('NetworkPolicy');
    expect(
      policies.some((p) => Object.keys(p.spec.podSelector).length === 0 && p.spec.policyTypes.includes('Ingress') && !p.spec.ingress),
    ).toBe(true);
    for (const subgraph of SUBGRAPHS) {
      const admitted = policies
        .filter((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === subgraph)
        .flatMap((p) => p.spec.ingress as Json[]);
      expect(admitted.length, subgraph).toBeGreaterThan(0);
      for (const rule of admitted) {
        expect(rule.ports, subgraph).toEqual([{ protocol: 'TCP', port: DEFAULT_PORTS[subgraph] }]);
        for (const peer of rule.from as Json[]) expect(Object.keys(peer), subgraph).toEqual(['podSelector']);
      }
      const allowed = admitted.flatMap((r) => (r.from as Json[]).map((p) => p.podSelector.matchLabels['app.kubernetes.io/name'] as string));
      expect(allowed.sort(), `who may call ${subgraph}`).toEqual([...callers.get(subgraph)!].sort());
    }
  });
});
