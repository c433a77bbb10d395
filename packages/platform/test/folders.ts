import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/**
 * A new temp folder per call, every one removed after each test of the describe it is called in. Hooks added
 * after it in that describe run first (vitest runs after-hooks in reverse), so they can still close what they
 * opened inside the folders.
 */
export function foldersPerTest(): (prefix: string) => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  return async (prefix) => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
