import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { foldersPerTest } from './folders.js';
import { makeOnce } from '../src/db/clusterTemplate.js';

describe('a template made once per machine', () => {
  const folder = foldersPerTest();

  it('when an earlier maker was killed mid-way, then the next takes over its lock and removes its partial copy', async () => {
    const dir = await folder('brigade-template-');
    const path = join(dir, 'brigade-pglite-test');
    const dead = spawnSync(process.execPath, ['-p', 'process.pid'], { encoding: 'utf8' }).stdout.trim();
    // What a maker killed during initdb leaves: its lock and its half-made copy.
    await writeFile(`${path}.lock`, dead);
    await mkdir(`${path}.${dead}`);
    await writeFile(join(`${path}.${dead}`, 'PG_VERSION'), '17');
    // A neighbour whose name only starts the same is not a partial copy.
    await writeFile(`${path}.keep`, '');

    const made = await makeOnce(path, async (partial) => {
      await mkdir(partial);
      await writeFile(join(partial, 'made'), 'yes');
    });

    expect(made).toBe(path);
    expect(existsSync(join(path, 'made'))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['brigade-pglite-test', 'brigade-pglite-test.keep']);
  });
});
