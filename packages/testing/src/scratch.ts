import { accessSync, constants, mkdtempSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A new empty folder for throwaway databases: in memory (/dev/shm) where the system has one, else in the temp
 * folder. A PGlite cluster is ~1,000 files; copying and writing them on a disk while the rest of the suite does
 * the same cost seconds of system time per database, on tmpfs a few tens of milliseconds.
 */
export function scratchFolder(prefix: string): Promise<string> {
  return mkdtemp(join(memoryBacked ?? tmpdir(), prefix));
}

/** scratchFolder, for set-up that runs at a describe's top level. */
export function scratchFolderSync(prefix: string): string {
  return mkdtempSync(join(memoryBacked ?? tmpdir(), prefix));
}

const memoryBacked = (() => {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return undefined;
  }
})();
