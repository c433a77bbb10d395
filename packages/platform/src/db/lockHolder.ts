import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What a lock file says of the process holding it (a data folder's owner, the cluster template's maker).
 * A pid alone is not enough: pids are reused, so after a crash and a reboot, or in a new container whose pids
 * start again from 1, a stale lock's pid can belong to a live process that never held it, and the lock would
 * refuse a start or stall it for ever. Where /proc tells a process's start time (Linux), the stamp carries it,
 * and a live pid that started at another time is a stranger.
 */
export function holderStamp(pid = process.pid): string {
  const started = procStat(pid)?.[19];
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
  const stat = procStat(pid);
  // A zombie has exited; its parent just has not collected it yet.
  if (stat?.[0] === 'Z') return undefined;
  if (match[2] !== undefined && stat && stat[19] !== match[2]) return undefined;
  return pid;
}

/**
 * Takes the lock `file` for this process, or says which live process holds it. The stamp is linked into place
 * whole, so no reader ever sees a half-written lock; a stale lock is removed only by the one process that claims
 * the right to (`removeStale`), so two processes taking over the same stale lock cannot both win.
 */
export async function takeLock(file: string): Promise<{ taken: true } | { taken: false; holder: number }> {
  const mine = `${file}.${process.pid}`;
  await writeFile(mine, holderStamp());
  try {
    for (;;) {
      try {
        await link(mine, file);
        return { taken: true };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const stamp = await readIfThere(file);
      if (stamp === undefined) continue; // released meanwhile: try again
      const holder = liveHolder(stamp);
      // Our own stamp: this process took the lock earlier and still holds it.
      if (holder === process.pid) return { taken: true };
      if (holder !== undefined) return { taken: false, holder };
      await removeStale(file, stamp);
    }
  } finally {
    await rm(mine, { force: true });
  }
}

/**
 * Removes `file` if it still holds `staleStamp`. Reading and removing are two steps, and in between another
 * process may remove the stale lock and take the name; so only the process that creates the claim file named for
 * that stale stamp may remove it, and the others wait for the claim to go. A stamp names one process's lifetime, so
 * a claim made later finds the lock changed and removes nothing.
 */
async function removeStale(file: string, staleStamp: string): Promise<void> {
  // Hashed: a stale lock may hold anything (a corrupt file), and a name must not.
  const claim = `${file}.stale-${createHash('sha256').update(staleStamp).digest('hex').slice(0, 16)}`;
  try {
    await writeFile(claim, holderStamp(), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A claimant that died between its two steps would block this stale lock for ever.
    const claimant = await readIfThere(claim);
    if (claimant && liveHolder(claimant) === undefined) await rm(claim, { force: true });
    await sleep(10);
    return;
  }
  try {
    if ((await readIfThere(file)) === staleStamp) await rm(file, { force: true });
  } finally {
    await rm(claim, { force: true });
  }
}

function readIfThere(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * /proc/<pid>/stat's fields from the third on (proc(5)): [0] is the state, [19] the start time in clock ticks
 * since boot. Undefined where there is no /proc.
 */
function procStat(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses: count from after it.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
