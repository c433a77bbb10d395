/**
 * `npm run schema:check [-- --base <rev>] [--subgraph <name>] [--manifest <file>] [--allow-breaking] [--allowed <file>]`
 * Offline `rover subgraph check`: composes the working tree's subgraphs, lists every change of the API
 * schema against the supergraph committed at `--base` (default HEAD), and validates the client
 * operations under clients/operations/ (and a persisted query manifest from `--manifest` or
 * `PERSISTED_OPERATIONS`) against the new schema. Exits 1 when a known operation would break, or on any
 * breaking change without `--allow-breaking`. Breaking changes recorded in `schema-changes.yaml` (each with its
 * reason) are made on purpose: they are reported as allowed and fail nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/composition.js';
import {
  formatReport,
  gitShow,
  loadAllowedChanges,
  loadOperationFiles,
  loadPersistedQueryManifest,
  runSchemaCheck,
  withOnlySubgraphChanged,
  workingTreeSubgraphs,
  type ClientOperation,
} from './lib/schemaChanges.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: resolve(ROOT, 'supergraph.yaml') },
    base: { type: 'string', default: 'HEAD' },
    subgraph: { type: 'string' },
    operations: { type: 'string', default: resolve(ROOT, 'clients/operations') },
    manifest: { type: 'string', default: process.env.PERSISTED_OPERATIONS },
    'allow-breaking': { type: 'boolean', default: false },
    allowed: { type: 'string', default: resolve(ROOT, 'schema-changes.yaml') },
  },
});

try {
  const working = workingTreeSubgraphs(resolve(values.config));
  const subgraphs = values.subgraph ? withOnlySubgraphChanged(working, (s) => gitShow(values.base, s.file), values.subgraph) : working;
  const operations: ClientOperation[] = existsSync(values.operations) ? loadOperationFiles(values.operations) : [];
  if (values.manifest) {
    const manifest = resolve(values.manifest);
    operations.push(...loadPersistedQueryManifest(readFileSync(manifest, 'utf8'), manifest));
  }
  console.log(
    `Checking ${values.subgraph ? `subgraph "${values.subgraph}"` : 'all subgraphs'} against supergraph.graphql at ${values.base}\n`,
  );
  const report = await runSchemaCheck({
    subgraphs,
    baseSupergraphSdl: gitShow(values.base, 'supergraph.graphql'),
    operations,
    allowBreaking: values['allow-breaking'],
    allowed: loadAllowedChanges(resolve(values.allowed)),
  });
  console.log(formatReport(report));
  process.exit(report.exitCode);
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(1);
}
