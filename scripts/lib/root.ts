import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file with supergraph.yaml (from scripts/ or scripts/dist/). */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(dir: string): string {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'supergraph.yaml'))) return at;
    if (dirname(at) === at) throw new Error(`no supergraph.yaml above ${dir}`);
  }
}
