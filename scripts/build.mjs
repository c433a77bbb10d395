// `npm run build`: compiles every package's src/**/*.ts to dist/**/*.js beside it (and scripts/*.ts,
// scripts/lib/**/*.ts to scripts/dist/), one JavaScript file per TypeScript file, with esbuild.
//
// Why esbuild, file by file, rather than tsc -b or a bundle: type-checking is `npm run typecheck`'s job (CI
// and the Dockerfile run it), so the build only has to strip types, which the repository already makes
// safe file by file (tsconfig `isolatedModules`). That takes well under a second for the whole repository
// where `tsc -b` spends ~15 s of CPU here, so `npm start` can rebuild whatever changed on every start, even
// on a fresh clone. One output file per source keeps dist/ shaped like src/: every file read relative to
// import.meta.url (schema.graphql, migrations/, .data, supergraph.graphql) resolves the same from either,
// and dependencies stay in node_modules, loaded exactly as they are from source (one copy of graphql).
//
//   node scripts/build.mjs              build every project
//   node scripts/build.mjs --if-stale   build only projects with a source newer than their last build
//
// Plain JavaScript on purpose: it runs before anything is compiled.
import { build } from 'esbuild';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = '.build-stamp';
const SKIP = new Set(['node_modules', 'dist', 'test', '.data']);
/** Files whose change makes every project stale: compiler options and this build itself. */
const SHARED_INPUTS = ['tsconfig.json', 'package.json', 'scripts/build.mjs'];

/**
 * What gets compiled: each workspace with a src/ folder (a new workspace is picked up from package.json),
 * and scripts/ (what `npm start` runs). `dir` holds the sources, `out` receives the JavaScript.
 */
export function projects() {
  const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const dirs = workspaces.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(join(ROOT, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => join(pattern.slice(0, -2), d.name))
      : [pattern],
  );
  return [
    ...dirs.filter(runsCompiled).map((dir) => ({ name: dir, dir: join(ROOT, dir, 'src'), out: join(ROOT, dir, 'dist') })),
    { name: 'scripts', dir: join(ROOT, 'scripts'), out: join(ROOT, 'scripts', 'dist') },
    // The web app's static server (the app itself is Vite's to build, into clients/web/dist).
    { name: 'clients/web/server', dir: join(ROOT, 'clients/web/server'), out: join(ROOT, 'clients/web/dist-server') },
  ];
}

/** A Node package this build compiles: it exports dist/ under the `compiled` condition (the web app does not). */
function runsCompiled(dir) {
  if (!existsSync(join(ROOT, dir, 'src'))) return false;
  const { exports } = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'));
  return JSON.stringify(exports ?? {}).includes('"compiled"');
}

/** TypeScript sources under `dir`, without tests, declarations, outputs or data. */
function sources(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sources(path));
    else if (/\.(ts|mts)$/.test(entry.name) && !/\.(d|test)\.(ts|mts)$/.test(entry.name)) found.push(path);
  }
  return found;
}

/** The newest modification time of a project's inputs: its sources and folders (a deleted file changes its folder). */
function newestInput(dir) {
  let latest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newestInput(path));
    else if (/\.(ts|mts)$/.test(entry.name)) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

/** Why `project` needs building, or undefined when its last build is newer than every input. */
export function staleReason(project) {
  let built;
  try {
    built = statSync(join(project.out, STAMP)).mtimeMs;
  } catch {
    return 'never built';
  }
  const shared = Math.max(...SHARED_INPUTS.map((file) => statSync(join(ROOT, file)).mtimeMs));
  if (shared > built) return `${SHARED_INPUTS.join(' or ')} changed`;
  if (newestInput(project.dir) > built) return 'a source changed';
  return undefined;
}

/** Files under `dir`, relative to it. */
function files(dir, base = dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name), base) : [relative(base, join(dir, entry.name))],
  );
}

/**
 * Compiles `project` into its dist/, then deletes what no source produces any more (a deleted or renamed
 * source leaves no stale module behind). dist/ itself stays, so watchers on it keep working.
 */
export async function buildProject(project) {
  const entryPoints = sources(project.dir);
  await build({
    entryPoints,
    outdir: project.out,
    outbase: project.dir,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    tsconfig: join(ROOT, 'tsconfig.json'),
    logLevel: 'warning',
  });
  const produced = new Set(
    entryPoints.flatMap((file) => {
      const js = relative(project.dir, file).replace(/\.(m?)ts$/, '.$1js');
      return [js, `${js}.map`];
    }),
  );
  for (const file of files(project.out)) {
    if (!produced.has(file) && !file.split(/[\\/]/).pop().startsWith('.')) rmSync(join(project.out, file));
  }
  writeFileSync(join(project.out, STAMP), `${new Date().toISOString()}\n`);
  return entryPoints.length;
}

async function main() {
  const ifStale = process.argv.includes('--if-stale');
  const started = Date.now();
  const stale = projects()
    .map((project) => ({ project, reason: ifStale ? staleReason(project) : 'requested' }))
    .filter(({ reason }) => reason);
  // All at once: esbuild's one service process compiles them in parallel, where one after another left a
  // fresh clone's build waiting on eight round trips.
  const counts = await Promise.all(stale.map(({ project }) => buildProject(project)));
  const files = counts.reduce((sum, n) => sum + n, 0);
  const built = stale.map(({ project, reason }) => (ifStale ? `${project.name} (${reason})` : project.name));
  if (built.length > 0 || !ifStale) {
    console.log(`built ${files} files in ${Date.now() - started} ms: ${built.join(', ') || 'nothing to build'}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
