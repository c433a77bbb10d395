import { readFileSync } from 'node:fs';

/**
 * What a lock file says of the process holding it (a data folder's owner, the cluster template's maker).
 * A pid alone is not enough: pids are reused, so after a crash and a reboot, or in a new container whose pids
 * start again from 1, a stale lock's pid can belong to a live process that never held it, and the lock would
 * refuse a start or stall it for ever. Where /proc tells a process's start time (Linux), the stamp carries it,
 * and a live pid that started at another time is a stranger.
 */
export function holderStamp(pid = process.pid): string {
  const started = startTimeOf(pid);
  return started === undefined ? String(pid) : `${pid}@${started}`;
}

/**
 * The pid of the live process a stamp names, or undefined when it names none: dead, its pid reused, or not a
 * stamp. A bare pid (what earlier versions wrote) is trusted as far as a pid can be.
 */
export function liveHolder(stamp: string): number | undefined {
  const match = /^([1-9]\d*)(?:@(\d+))?$/.exec(stamp.trim());
  if (!match) return undefined;
  const pid = Number(match[1]);
  if (!alive(pid)) return undefined;
  const started = match[2];
  if (started !== undefined) {
    const now = startTimeOf(pid);
    if (now !== undefined && now !== started) return undefined;
  }
  return pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Clock ticks since boot at which the process started (proc(5), /proc/<pid>/stat field 22), where known. */
function startTimeOf(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses: count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}
