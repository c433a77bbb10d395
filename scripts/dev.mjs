// `npm run dev`: the `npm start` stack in watch mode. A change to a package's TypeScript recompiles that
// package (scripts/build.mjs, well under a second) and restarts the stack (start-all stops every service
// it started, then starts them again); so does a change to a subgraph schema, a migration or
// supergraph.yaml. Plain JavaScript on purpose: it runs before anything is compiled.
// (Not `node --watch`: with several --watch-path flags, Node 20 nests one watcher process per flag.)
import { spawn } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, buildProject, projects, staleReason } from './build.mjs';

const all = projects();
await Promise.all(all.filter((project) => staleReason(project)).map((project) => buildProject(project)));

let stack;
let restarting = false;
let stopping = false;

function startStack() {
  stack = spawn(process.execPath, ['--conditions=compiled', 'scripts/dist/start-all.js'], { cwd: ROOT, stdio: 'inherit' });
  stack.on('exit', (code, signal) => {
    if (stopping) process.exit(code ?? 0);
    if (!restarting) console.error(`dev     | the stack exited (${signal ?? code}); it starts again on the next change.`);
  });
}

/** Stops the running stack (start-all drains every service) and starts it again. */
async function restart(why) {
  if (restarting || stopping) return;
  restarting = true;
  console.log(`dev     | ${why}: restarting the stack`);
  if (stack && stack.exitCode === null && stack.signalCode === null) {
    const exited = new Promise((resolve) => stack.once('exit', resolve));
    stack.kill('SIGTERM');
    await exited;
  }
  restarting = false;
  startStack();
}

const pending = new Map();
/** Runs `action` 150 ms after the last of a burst of changes under `key`. */
function debounce(key, action) {
  clearTimeout(pending.get(key));
  pending.set(key, setTimeout(action, 150));
}

for (const project of all) {
  watch(project.dir, { recursive: true }, (_event, file) => {
    if (!file || !/\.(ts|mts)$/.test(file) || file.split(/[\\/]/).some((part) => part === 'dist' || part === 'test')) return;
    debounce(project.name, () => {
      const started = Date.now();
      buildProject(project).then(
        (files) =>
          restart(
            `rebuilt ${project.name} (${files} files, ${Date.now() - started} ms) after ${relative(ROOT, join(project.dir, file))} changed`,
          ),
        (error) => console.error(`dev     | ${project.name} does not compile: ${error instanceof Error ? error.message : error}`),
      );
    });
  });
}
const inputs = [
  'supergraph.yaml',
  ...all.filter((p) => p.name.startsWith('subgraphs/')).flatMap((p) => [join(p.name, 'schema.graphql'), join(p.name, 'migrations')]),
].filter((path) => existsSync(join(ROOT, path)));
for (const path of inputs) {
  watch(join(ROOT, path), { recursive: true }, () => debounce(path, () => restart(`${path} changed`)));
}

startStack();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopping = true;
    if (!stack || stack.exitCode !== null || stack.signalCode !== null) process.exit(0);
    stack.kill(signal);
  });
}
