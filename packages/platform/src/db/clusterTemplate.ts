import { PGlite } from './pgliteEngine.js';
import { constants, readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { takeLock } from './lockHolder.js';

/**
 * initdb is most of a first start: seconds of CPU and ~700 MB per run, while a copy of the empty cluster it
 * makes opens in a fraction of that. So it runs once per machine and PGlite version, into a directory in the
 * temp folder, and every new database starts as a copy of that directory: a data folder by a plain file copy
 * (PGlite's own `loadDataDir` would push the same 40 MB through a Blob and its in-WebAssembly file system,
 * several times slower), an in-memory database from a tar of it. A lock makes the processes of one start
 * (six services, the launcher's head start) share one initdb instead of racing to run their own.
 */
export function clusterTemplateDir(): Promise<string> {
  templateDir ??= makeOnce(join(tmpdir(), `brigade-pglite-${pgliteVersion()}`), async (partial) => {
    await (await PGlite.create({ dataDir: partial })).close();
  });
  return templateDir;
}

/** The template as the tar `loadDataDir` takes, for in-memory databases (tests): made once from the directory. */
export function clusterTemplateTar(): Promise<Blob> {
  tarTemplate ??= (async () => {
    const dir = await clusterTemplateDir();
    const file = await makeOnce(`${dir}.tar`, async (partial) => {
      // A copy: opening the template itself would write to it.
      const copy = `${partial}.cluster`;
      await copyCluster(dir, copy);
      try {
        const db = await PGlite.create({ dataDir: copy });
        const dump = await db.dumpDataDir('none');
        await db.close();
        await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    });
    return new Blob([await readFile(file)]);
  })();
  return tarTemplate;
}

/** Copies the cluster in `from` into the folder `to` (created if absent), every file at once. */
export async function copyCluster(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map((entry) =>
      entry.isDirectory()
        ? copyCluster(join(from, entry.name), join(to, entry.name))
        : // A copy-on-write clone where the file system has them, a plain copy elsewhere.
          copyFile(join(from, entry.name), join(to, entry.name), constants.COPYFILE_FICLONE),
    ),
  );
}

let templateDir: Promise<string> | undefined;
let tarTemplate: Promise<Blob> | undefined;

/**
 * `path` once it exists, made by `make(partial)` then renamed into place by whichever process takes the lock
 * first; the others wait for it to appear, or take over from a maker that died.
 */
export async function makeOnce(path: string, make: (partial: string) => Promise<void>): Promise<string> {
  const lock = `${path}.lock`;
  for (;;) {
    if (await exists(path)) return path;
    if (!(await takeLock(lock)).taken) {
      await sleep(100);
      continue;
    }
    try {
      if (await exists(path)) return path;
      await removePartials(path);
      const partial = `${path}.${process.pid}`;
      try {
        await make(partial);
        await rename(partial, path);
      } finally {
        await rm(partial, { recursive: true, force: true });
      }
      return path;
    } finally {
      await rm(lock, { force: true });
    }
  }
}

/**
 * Only the lock's holder makes a partial copy, so with the lock in hand every other one is a dead maker's (killed
 * mid-initdb): ~40 MB each, left in the temp folder for good otherwise.
 */
async function removePartials(path: string): Promise<void> {
  const name = basename(path);
  const partials = (await readdir(dirname(path))).filter(
    (entry) => entry.startsWith(`${name}.`) && /^\d+$/.test(entry.slice(name.length + 1)),
  );
  await Promise.all(partials.map((entry) => rm(join(dirname(path), entry), { recursive: true, force: true })));
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The package's `exports` hide its package.json, so find it next to the resolved entry point. */
function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    } catch {
      // not this folder: keep climbing
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
