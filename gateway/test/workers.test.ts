import { generateKeyring } from '@brigade/platform';
import { compiledArgs, freePort } from '@brigade/testing';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('GATEWAY_WORKERS', () => {
  const pids: number[] = [];
  afterAll(() => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('when 2 workers run, then both serve one port, a dead worker is replaced, and SIGTERM drains all and exits 0', async () => {
    const keyring = await generateKeyring();
    const port = await freePort();
    const child = spawn(process.execPath, compiledArgs('gateway/src/main.ts'), {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: 'development',
        GATEWAY_WORKERS: '2',
        PORT: String(port),
        LOG_LEVEL: 'info',
        DATA_DIR: 'memory',
        SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys.gateway),
        SERVICE_TRUSTED_KEYS: JSON.stringify(keyring.trusted),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    pids.push(child.pid!);
    const workers: number[] = [];
    const waiters: (() => void)[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; pid?: number };
        if (entry.msg === 'gateway worker listening' && entry.pid) {
          workers.push(entry.pid);
          pids.push(entry.pid);
          waiters.splice(0).forEach((w) => w());
        }
      } catch {
        // not a log line
      }
    });
    const workersListening = async (count: number) => {
      while (workers.length < count) await new Promise<void>((r) => waiters.push(r));
    };
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    await workersListening(2);
    expect(new Set(workers).size).toBe(2);
    const ask = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      return response.status;
    };
    expect(await Promise.all(Array.from({ length: 10 }, ask))).toEqual(Array(10).fill(200));

    process.kill(workers[0]!, 'SIGKILL');
    await workersListening(3);
    expect(alive(workers[0]!)).toBe(false);
    expect(await Promise.all(Array.from({ length: 10 }, ask))).toEqual(Array(10).fill(200));

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of workers.slice(1)) expect(alive(pid), `worker ${pid}`).toBe(false);
  }, 90_000);
});
