// `npm run dev`: the `npm start` stack in watch mode. A change to a package's TypeScript recompiles that
// package (scripts/build.mjs, well under a second), and `node --watch` then restarts the stack (start-all
// stops every service it started and starts them again); so does a change to a subgraph schema, a
// migration or supergraph.yaml. Plain JavaScript on purpose: it runs before anything is compiled.
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, buildProject, projects, staleReason } from './build.mjs';

const all = projects();
for (const project of all) if (staleReason(project)) await buildProject(project);

const pending = new Map();
for (const project of all) {
  watch(project.dir, { recursive: true }, (_event, file) => {
    if (!file || !/\.(ts|mts)$/.test(file) || file.split(/[\\/]/).some((part) => part === 'dist' || part === 'test')) return;
    clearTimeout(pending.get(project.name));
    pending.set(
      project.name,
      setTimeout(() => {
        const started = Date.now();
        buildProject(project).then(
          (files) => console.log(`dev     | rebuilt ${project.name} (${files} files, ${Date.now() - started} ms) after ${relative(ROOT, join(project.dir, file))} changed`),
          (error) => console.error(`dev     | ${project.name} does not compile: ${error instanceof Error ? error.message : error}`),
        );
      }, 100),
    );
  });
}

const watched = [
  ...all.map((project) => relative(ROOT, project.out)),
  'supergraph.yaml',
  ...all.filter((p) => p.name.startsWith('subgraphs/')).flatMap((p) => [join(p.name, 'schema.graphql'), join(p.name, 'migrations')]),
];
const stack = spawn(
  process.execPath,
  ['--watch', '--watch-preserve-output', ...watched.map((path) => `--watch-path=${path}`), '--conditions=compiled', 'scripts/dist/start-all.js'],
  { cwd: ROOT, stdio: 'inherit' },
);
stack.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stack.kill(signal));
