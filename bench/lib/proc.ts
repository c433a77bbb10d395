/**
 * Child processes of the bench: started pinned to a CPU, each in its own process group, and all of them killed
 * when the bench exits, fails or is interrupted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ManagedProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Last lines of stdout+stderr, for error reports. */
  output(): string;
  /** Resolves with the first stdout/stderr line matching `pattern` (rejects if the process exits first). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM to the whole group, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  exited: boolean;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  /** CPU list for taskset (`"1"`, `"0"`); omitted = unpinned. */
  cpus?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const running = new Set<ManagedProcess>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

let exitHooksInstalled = false;
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const proc of running) killGroup(proc.pid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\nbench: ${signal}, stopping ${running.size} child process(es)`);
      process.exit(130);
    });
  }
}

export function hasTaskset(): boolean {
  return spawnSync('taskset', ['-V']).status === 0;
}

/** Pins the current process (the load generator lives here) to `cpus`. */
export function pinSelf(cpus: string): void {
  const result = spawnSync('taskset', ['-pc', cpus, String(process.pid)]);
  if (result.status !== 0) throw new Error(`taskset -pc ${cpus} failed: ${result.stderr}`);
}

export function startProcess(options: StartOptions): ManagedProcess {
  installExitHooks();
  const [command, args] = options.cpus
    ? ['taskset', ['-c', options.cpus, options.command, ...options.args]]
    : [options.command, options.args];
  // taskset execs the command, so the pid is the program's own; detached gives it a group we can kill whole.
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`);
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 50) lines.shift();
      for (const listener of listeners) listener(line);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);

  const proc: ManagedProcess = {
    name: options.name,
    pid: child.pid,
    child,
    exited: false,
    output: () => lines.join('\n'),
    waitForLine: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off('exit', onExit);
        };
        const listener = (line: string): void => {
          const match = line.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const onExit = (code: number | null): void => {
          cleanup();
          reject(new Error(`${options.name} exited (${code}) before printing ${pattern}:\n${proc.output()}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${options.name} did not print ${pattern} within ${timeoutMs} ms:\n${proc.output()}`));
        }, timeoutMs);
        for (const line of lines) {
          const match = line.match(pattern);
          if (match) {
            cleanup();
            return resolve(match);
          }
        }
        listeners.add(listener);
        child.on('exit', onExit);
      }),
    stop: async (graceMs = 5000) => {
      if (proc.exited) return;
      const exit = once(child, 'exit');
      killGroup(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
      // Workers of a forking gateway may outlive their primary: take the group down regardless.
      killGroup(child.pid!, 'SIGKILL');
    },
  };
  child.on('exit', () => {
    proc.exited = true;
    running.delete(proc);
  });
  running.add(proc);
  return proc;
}

/** `node --import tsx <script>`: one process (the tsx CLI would add a parent), so its pid is the one to measure. */
export function nodeTs(script: string, args: string[] = [], nodeFlags: string[] = []): { command: string; args: string[] } {
  return { command: process.execPath, args: [...nodeFlags, '--import', 'tsx', script, ...args] };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((proc) => proc.stop()));
}
