/**
 * `npm run compose [-- --config supergraph.yaml --output supergraph.graphql --check]`
 * Composes the subgraph schemas listed in rover's config format into the supergraph the gateway loads,
 * printing errors and hints the way `rover supergraph compose` does. `--check` writes nothing and fails
 * when the committed supergraph differs from a fresh composition (CI's drift check).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, compose, readSupergraphConfig, renderStationSchemas } from './lib/composition.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: resolve(ROOT, 'supergraph.yaml') },
    output: { type: 'string', default: resolve(ROOT, 'supergraph.graphql') },
    check: { type: 'boolean', default: false },
  },
});

if (!values.check) renderStationSchemas();
const outcome = compose(readSupergraphConfig(resolve(values.config)));
for (const hint of outcome.hints) console.error(`HINT ${hint.code}: ${hint.message}`);
if (!outcome.supergraphSdl) {
  for (const error of outcome.errors) console.error(`error[${error.code}]: ${error.message}`);
  console.error(`\nerror: composition failed with ${outcome.errors.length} error(s).`);
  process.exit(1);
}
const output = resolve(values.output);
if (values.check) {
  let committed = '';
  try {
    committed = readFileSync(output, 'utf8');
  } catch {
    // a missing file is drift too
  }
  const stale = renderStationSchemas().some((s) => s.changed);
  if (committed !== outcome.supergraphSdl || stale) {
    console.error(`error: ${output} is not the composition of the current subgraph schemas. Run \`npm run compose\` and commit.`);
    process.exit(1);
  }
  console.log('supergraph is up to date');
} else {
  writeFileSync(output, outcome.supergraphSdl);
  console.log(`composed ${output}`);
}
