/**
 * Resource use of a process and its descendants (forking gateways), read from /proc: CPU time and peak RSS.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The pid and all its live descendants. */
export function processTree(pid: number): number[] {
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift()!;
    tree.push(current);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${current}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      const children = readOr(`/proc/${current}/task/${task}/children`);
      if (children) queue.push(...children.trim().split(/\s+/).filter(Boolean).map(Number));
    }
  }
  return tree;
}

/** utime + stime of one process in ms (fields 14 and 15 of /proc/<pid>/stat, after the parenthesised name). */
function cpuMsOf(pid: number): number {
  const stat = readOr(`/proc/${pid}/stat`);
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

export function cpuMs(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + cpuMsOf(p), 0);
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = readOr(`/proc/${pid}/status`)?.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) : 0;
}

export interface MemorySampler {
  /** Highest of: the sampled sum of RSS over the tree, and any single process's own high-water mark. */
  peakRssMb(): number;
  samples(): { t: number; rssMb: number }[];
  stop(): void;
}

export function sampleMemory(pid: number, intervalMs = 500): MemorySampler {
  const samples: { t: number; rssMb: number }[] = [];
  let peakKb = 0;
  const started = Date.now();
  const take = (): void => {
    const tree = processTree(pid);
    const sum = tree.reduce((s, p) => s + statusKb(p, 'VmRSS'), 0);
    const hwm = Math.max(...tree.map((p) => statusKb(p, 'VmHWM')));
    peakKb = Math.max(peakKb, sum, hwm);
    if (sum > 0) samples.push({ t: Date.now() - started, rssMb: sum / 1024 });
  };
  take();
  const timer = setInterval(take, intervalMs);
  timer.unref();
  return {
    peakRssMb: () => peakKb / 1024,
    samples: () => samples,
    stop: () => {
      take();
      clearInterval(timer);
    },
  };
}
