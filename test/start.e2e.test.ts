import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createClient, scratchFolderSync } from '@brigade/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url).pathname;
const SERVICES = ['gateway', 'auth', 'menu', 'orders', 'kitchen', 'bar', 'bakery'];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Runs `npm start` as a user would, resolving once it prints `until` (by default, that Brigade is ready). */
function start(env: NodeJS.ProcessEnv, until = 'Brigade is ready'): Promise<{ child: ChildProcess; output: () => string }> {
  // Its own process group, so a failed test can kill npm start and the processes it started at once.
  const child = spawn('npm', ['start'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // Nothing the test never got hold of may outlive it: the whole group goes.
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`not ready in time (${until}):\n${output.slice(-3000)}`));
    }, 110_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(until)) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before ready:\n${output.slice(-3000)}`));
    });
  });
}

/** The processes of a process group that still run (a zombie has exited; only its parent has not collected it). */
function runningInGroup(group: number): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        return ''; // exited while we looked
      }
    })
    .filter((stat) => {
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === group && state !== 'Z';
    });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

describe('npm start', () => {
  const dataDir = scratchFolderSync('brigade-start-');
  let running: ChildProcess | undefined;
  afterAll(() => {
    if (running?.pid && running.exitCode === null) process.kill(-running.pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** npm start's environment: free ports, the test's data folder (or DATA_DIR), and the app built into it. */
  async function startEnv(overrides: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
    // The app is built into the test's folder, not the working tree's dist (another run may be serving it).
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      WEB_DIST: join(dataDir, 'web'),
    };
    delete env.NODE_ENV;
    for (const service of SERVICES) env[`${service.toUpperCase()}_PORT`] = String(await freePort());
    env.WEB_PORT = String(await freePort());
    return { ...env, ...overrides };
  }

  it('when started, then the web app and the gateway are served (menu with stock); Ctrl-C stops every process; a restart keeps the data', async () => {
    const env = await startEnv();
    const gateway = `http://127.0.0.1:${env.GATEWAY_PORT}/graphql`;
    const web = `http://127.0.0.1:${env.WEB_PORT}/`;
    const client = createClient(gateway, { email: 'admin@brigade.local', password: 'brigade-admin' });
    const coffeeStock = async () => {
      const result = await client.query('{ menu(category: DRINK) { name stock } }');
      return (result.data!.menu as { name: string; stock: number }[]).find((i) => i.name === 'Coffee')!.stock;
    };

    const first = await start(env);
    running = first.child;
    expect(first.output()).toContain(gateway);
    expect(first.output()).toMatch(new RegExp(`Web app: +${web.replaceAll('.', '\\.')}`));
    const page = await fetch(new URL('/orders', web));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    expect(await (await fetch(new URL('/config.json', web))).json()).toEqual({ graphqlUrl: gateway });
    // The gateway's development CORS lets the app's origin call it.
    const preflight = await fetch(gateway, {
      method: 'OPTIONS',
      headers: {
        origin: new URL(web).origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization, accept',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(new URL(web).origin);
    const menu = await client.query('{ menu { name stock available } }');
    expect(menu.data!.menu).toHaveLength(12);
    const before = await coffeeStock();
    const restock = await client.query('mutation { restockDrink(id: "b0ca1b98-2100-4ffc-8f7e-08941e623628", quantity: 5) { stock } }', {
      token: await client.adminToken(),
    });
    expect(restock.data?.restockDrink.stock).toBe(before + 5);
    expect(await stop(first.child)).toBe(0);
    for (const service of SERVICES)
      await expect(fetch(`http://127.0.0.1:${env[`${service.toUpperCase()}_PORT`]}/health`), service).rejects.toThrow();

    const second = await start(env);
    running = second.child;
    expect(await coffeeStock()).toBe(before + 5);
    expect(await stop(second.child)).toBe(0);
    for (const service of SERVICES)
      await expect(fetch(`http://127.0.0.1:${env[`${service.toUpperCase()}_PORT`]}/health`), service).rejects.toThrow();
    running = undefined;
  }, 300_000);

  it('when started with DATA_DIR=memory, then the six subgraphs share one throwaway cluster, removed when it stops, and a killed start’s is removed by the next', async () => {
    // What a start killed outright (SIGKILL, a crash) leaves: its exit handler never ran.
    const orphan = join(tmpdir(), `brigade-memory-test-${process.pid}`);
    mkdirSync(join(orphan, 'pglite'), { recursive: true });
    writeFileSync(join(orphan, 'launcher.pid'), spawnSync(process.execPath, ['-p', 'process.pid'], { encoding: 'utf8' }).stdout.trim());
    const env = await startEnv({ DATA_DIR: 'memory' });
    const client = createClient(`http://127.0.0.1:${env.GATEWAY_PORT}/graphql`, {
      email: 'admin@brigade.local',
      password: 'brigade-admin',
    });

    const { child, output } = await start(env);
    running = child;
    expect(existsSync(orphan)).toBe(false);
    const throwaway = /Data: +(\S+), thrown away when Brigade stops/.exec(output())?.[1];
    expect(throwaway, output()).toBeDefined();
    // One cluster for the six (a schema each), not a PGlite in memory per service.
    expect(readdirSync(throwaway!).sort()).toEqual(['launcher.pid', 'pglite']);
    expect(readdirSync(join(throwaway!, 'pglite'))).toContain('PG_VERSION');
    const menu = await client.query('{ menu { name stock available } }');
    expect(menu.data!.menu).toHaveLength(12);
    const restock = await client.query('mutation { restockDrink(id: "b0ca1b98-2100-4ffc-8f7e-08941e623628", quantity: 1) { stock } }', {
      token: await client.adminToken(),
    });
    expect(restock.errors).toBeUndefined();

    expect(await stop(child)).toBe(0);
    running = undefined;
    expect(existsSync(throwaway!)).toBe(false);
  }, 120_000);

  it('when stopped while it starts (the web app building), then every process it started is gone with it', async () => {
    // A web folder of its own: the app must be building when the stop comes.
    const env = await startEnv({ DATA_DIR: 'memory', WEB_DIST: join(dataDir, 'web-interrupted') });
    const { child, output } = await start(env, 'building the web app');
    running = child;
    expect(await stop(child)).toBe(0);
    running = undefined;
    // npm start runs in a process group of its own: nothing it started may be left in it, the build included.
    await expect.poll(() => runningInGroup(child.pid!), { timeout: 1_000 }).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${env.WEB_PORT}/health`)).rejects.toThrow();
    expect(output()).not.toContain('start failed');
    expect(output()).not.toContain('Brigade is ready');
  }, 120_000);
});
