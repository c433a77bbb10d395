import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { compiledArgs, freePort, scratchFolder } from '@brigade/testing';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** An address nothing listens on: subgraphs a test does not need point here. */
export const NOWHERE = 'http://127.0.0.1:9/graphql';

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly origin: string;
  /** Parsed JSON log lines printed so far. */
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(): Promise<void>;
}

/** Runs a service's `main.ts`, compiled, as its own process (real signals, real exit code) and waits until it listens. */
export async function spawnService(entry: string, env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  // A subgraph's throwaway database, unless the test names one: a copied cluster in a folder opens much faster
  // than DATA_DIR=memory.
  const data = env.DATA_DIR || env.PGLITE_DIR ? undefined : await scratchFolder('spawned-');
  const child = spawn(process.execPath, compiledArgs(entry), {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      DATA_DIR: 'memory',
      ...(data ? { PGLITE_DIR: data } : {}),
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        lines.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        lines.push({ text });
      }
      for (const wake of waiters) wake();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      const removed = data ? rm(data, { recursive: true, force: true }) : Promise.resolve();
      void removed.finally(() => resolve(code));
    }),
  );
  const url = `http://127.0.0.1:${port}/graphql`;
  const service: ServiceProcess = {
    child,
    url,
    origin: `http://127.0.0.1:${port}`,
    lines,
    exited,
    waitForLine(match, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (!found) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching log line from ${entry}; stderr: ${stderr.slice(-2000)}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          reject(new Error(`${entry} exited early; stderr: ${stderr.slice(-2000)}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  await service.waitForLine((line) => typeof line.msg === 'string' && line.msg.endsWith('listening'), 60_000);
  return service;
}
