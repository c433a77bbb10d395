/**
 * The offline counterpart of `rover subgraph check`: compose candidate subgraph schemas, diff the API
 * schema against a base supergraph's, and check every known client operation against the result.
 */
import { ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { diff, type Change } from '@graphql-inspector/core';
import type { DocumentNode, GraphQLInputType, GraphQLSchema } from 'graphql';
import { createRequire } from 'node:module';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { join, relative, resolve } from 'node:path';
import { STATION_PROFILES, renderStationSdl } from '@brigade/station/stations';
import { execFileSync } from 'node:child_process';
import { ROOT, compose, readSupergraphConfig, type SubgraphSource } from './composition.js';

// One graphql instance for federation-internals, graphql-inspector and this module: Node gives those packages
// graphql's CommonJS build, while a bundler (vitest) would hand an ESM import the .mjs build, and graphql
// refuses schema objects from another instance.
const {
  Kind,
  NoUnusedFragmentsRule,
  TypeInfo,
  getNamedType,
  isEnumType,
  isInputObjectType,
  parse,
  specifiedRules,
  validate,
  visit,
  visitWithTypeInfo,
} = createRequire(import.meta.url)('graphql') as typeof import('graphql');

export type ChangeLevel = 'BREAKING' | 'DANGEROUS' | 'NON_BREAKING';

export interface SchemaChange {
  level: ChangeLevel;
  /** graphql-inspector's change type, e.g. `FIELD_REMOVED`. */
  kind: string;
  /** Schema coordinate: `Type`, `Type.field`, `Type.field.argument` or `Enum.VALUE`. */
  coordinate: string;
  message: string;
  /** Why this breaking change was made on purpose (from the allowed-changes file); absent otherwise. */
  allowed?: string;
}

/** A breaking change made on purpose, recorded in `schema-changes.yaml` with the reason clients can live with it. */
export interface AllowedChange {
  kind: string;
  coordinate: string;
  reason: string;
}

export interface ClientOperation {
  name: string;
  /** Where it came from: a file under clients/operations, or `manifest:<id>`. */
  source: string;
  document: DocumentNode;
}

export interface OperationResult {
  operation: ClientOperation;
  /** Validation errors against the new API schema. */
  errors: string[];
  /** Breaking changes touching a coordinate this operation uses in the base schema. */
  breakingChanges: SchemaChange[];
}

export interface CheckInput {
  subgraphs: SubgraphSource[];
  baseSupergraphSdl: string;
  operations: ClientOperation[];
  allowBreaking?: boolean;
  /** Breaking changes made on purpose: reported with their reason, never a failure. */
  allowed?: AllowedChange[];
}

export interface CheckReport {
  compositionErrors: { code: string; message: string }[];
  changes: SchemaChange[];
  operations: OperationResult[];
  /** Why the check fails; empty when it passes. */
  failures: string[];
  exitCode: 0 | 1;
}

/**
 * The schema clients see: `@inaccessible` elements and federation machinery removed. Built with the router's
 * feature set because Brigade's supergraph links the authorization directives the gateway rejects.
 */
export function apiSchema(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES }).apiSchema().toGraphQLJSSchema();
}

/** Prefers straight quotes the way rover prints messages, ending each with a full stop. */
function roverMessage(message: string): string {
  const quoted = message.replace(/'([^']*)'/g, '"$1"');
  return /[.!?]$/.test(quoted) ? quoted : `${quoted}.`;
}

export async function schemaChanges(base: GraphQLSchema, next: GraphQLSchema): Promise<SchemaChange[]> {
  const changes = await diff(base, next);
  const order: Record<ChangeLevel, number> = { BREAKING: 0, DANGEROUS: 1, NON_BREAKING: 2 };
  return changes
    .map((c: Change) => ({
      level: c.criticality.level as ChangeLevel,
      kind: c.type,
      coordinate: c.path ?? '',
      message: roverMessage(c.message),
    }))
    .sort((a, b) => order[a.level] - order[b.level] || a.coordinate.localeCompare(b.coordinate));
}

/**
 * Every schema coordinate an operation touches: fields and their arguments, input fields and enum values
 * written as literals, and the input/enum types its variables and arguments accept (a change anywhere in
 * those, such as a new required input field, reaches the operation even if it never names that field).
 */
export function operationCoordinates(
  schema: GraphQLSchema,
  document: DocumentNode,
): {
  exact: Set<string>;
  wholeTypes: Set<string>;
} {
  const exact = new Set<string>();
  const wholeTypes = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  const noteInputType = (type: GraphQLInputType | null | undefined) => {
    const named = type ? getNamedType(type) : undefined;
    if (named && (isInputObjectType(named) || isEnumType(named))) wholeTypes.add(named.name);
  };
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (!parent || !field) return;
        exact.add(`${parent.name}.${field.name}`);
        exact.add(parent.name);
        const named = getNamedType(field.type);
        exact.add(named.name);
        if (isEnumType(named)) wholeTypes.add(named.name);
      },
      Argument() {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        const arg = typeInfo.getArgument();
        if (parent && field && arg) exact.add(`${parent.name}.${field.name}.${arg.name}`);
        noteInputType(typeInfo.getInputType());
      },
      VariableDefinition() {
        noteInputType(typeInfo.getInputType());
      },
      ObjectField(node) {
        const parent = typeInfo.getParentInputType();
        const named = parent ? getNamedType(parent) : undefined;
        if (named) exact.add(`${named.name}.${node.name.value}`);
        noteInputType(typeInfo.getInputType());
      },
      EnumValue(node) {
        const type = typeInfo.getInputType();
        if (type) exact.add(`${getNamedType(type).name}.${node.value}`);
      },
      InlineFragment(node) {
        if (node.typeCondition) exact.add(node.typeCondition.name.value);
      },
      FragmentDefinition(node) {
        exact.add(node.typeCondition.name.value);
      },
    }),
  );
  return { exact, wholeTypes };
}

/** Whether a change at `coordinate` reaches something the operation uses. */
function touches(coordinate: string, used: ReturnType<typeof operationCoordinates>): boolean {
  if (!coordinate) return false;
  const parts = coordinate.split('.');
  if (used.exact.has(coordinate) || used.wholeTypes.has(parts[0]!)) return true;
  // A change to an argument of a used field (a new required argument, a changed argument type)...
  if (parts.length > 2 && used.exact.has(`${parts[0]}.${parts[1]}`)) return true;
  // ...or the removal of a type or field that contains something used.
  for (const c of used.exact) if (c.startsWith(`${coordinate}.`)) return true;
  return false;
}

// Each operation is validated on its own with the file's fragments, so a fragment another operation uses is not "unused".
const rules = specifiedRules.filter((rule) => rule !== NoUnusedFragmentsRule);

export async function runSchemaCheck(input: CheckInput): Promise<CheckReport> {
  const composed = compose(input.subgraphs);
  if (!composed.supergraphSdl) {
    return {
      compositionErrors: composed.errors,
      changes: [],
      operations: [],
      failures: [`composition failed with ${composed.errors.length} error(s)`],
      exitCode: 1,
    };
  }
  const baseApi = apiSchema(input.baseSupergraphSdl);
  const nextApi = apiSchema(composed.supergraphSdl);
  const changes = (await schemaChanges(baseApi, nextApi)).map((c) => {
    const allowed = input.allowed?.find((a) => a.kind === c.kind && a.coordinate === c.coordinate);
    return allowed && c.level !== 'NON_BREAKING' ? { ...c, allowed: allowed.reason } : c;
  });
  const breaking = changes.filter((c) => c.level === 'BREAKING' && c.allowed === undefined);

  const operations = input.operations.map((operation): OperationResult => {
    const errors = validate(nextApi, operation.document, rules).map((e) => e.message);
    // Coordinates come from the base schema: that is where the operation ran until now.
    const used = validate(baseApi, operation.document, rules).length ? undefined : operationCoordinates(baseApi, operation.document);
    return { operation, errors, breakingChanges: used ? breaking.filter((c) => touches(c.coordinate, used)) : [] };
  });

  const failures: string[] = [];
  const broken = operations.filter((o) => o.errors.length || o.breakingChanges.length);
  if (broken.length) {
    failures.push(`${broken.length} client operation(s) would break: ${broken.map((o) => o.operation.name).join(', ')}`);
  }
  if (breaking.length && !input.allowBreaking) {
    failures.push(`${breaking.length} breaking change(s); pass --allow-breaking if no client depends on them`);
  }
  return { compositionErrors: [], changes, operations, failures, exitCode: failures.length ? 1 : 0 };
}

/** The report in `rover subgraph check`'s shape: changes, then operations, then the verdict. */
export function formatReport(report: CheckReport): string {
  const lines: string[] = [];
  for (const e of report.compositionErrors) lines.push(`error[${e.code}]: ${e.message}`);
  if (!report.compositionErrors.length) {
    lines.push(
      report.changes.length
        ? `Compared ${report.changes.length} schema change(s):`
        : 'There were no changes detected in the composed API schema.',
    );
    const width = Math.max(0, ...report.changes.map((c) => c.kind.length));
    for (const c of report.changes) {
      lines.push(`${c.level.padEnd(12)} ${c.kind.padEnd(width)}  ${c.coordinate}  ${c.message}`);
      if (c.allowed !== undefined) lines.push(`${''.padEnd(13)}allowed: ${c.allowed}`);
    }
    lines.push('', `Checked ${report.operations.length} client operation(s) against the new API schema:`);
    for (const o of report.operations) {
      const ok = !o.errors.length && !o.breakingChanges.length;
      lines.push(`${ok ? 'PASS' : 'FAIL'}  ${o.operation.name}  (${o.operation.source})`);
      for (const e of o.errors) lines.push(`        ${e}`);
      for (const c of o.breakingChanges) lines.push(`        uses ${c.coordinate}: ${c.kind}`);
    }
  }
  const count = (level: ChangeLevel) => report.changes.filter((c) => c.level === level && c.allowed === undefined).length;
  const allowed = report.changes.filter((c) => c.allowed !== undefined).length;
  lines.push(
    '',
    `Summary: ${count('BREAKING')} breaking, ${count('DANGEROUS')} dangerous, ${allowed} allowed, ${count('NON_BREAKING')} safe change(s); ` +
      `${report.operations.filter((o) => !o.errors.length && !o.breakingChanges.length).length}/${report.operations.length} operation(s) pass.`,
  );
  for (const f of report.failures) lines.push(`error: ${f}`);
  if (!report.failures.length) lines.push('Check passed.');
  return lines.join('\n');
}

/** Splits one document into its operations, each carrying the fragments of the same document. */
export function operationsFromDocument(document: DocumentNode, source: string, fallbackName?: string): ClientOperation[] {
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  return document.definitions.flatMap((d) =>
    d.kind === Kind.OPERATION_DEFINITION
      ? [
          {
            name: d.name?.value ?? fallbackName ?? '(anonymous)',
            source,
            document: { kind: Kind.DOCUMENT, definitions: [d, ...fragments] },
          },
        ]
      : [],
  );
}

/** Every operation in the `.graphql` files under `dir` (recursively), named by operation name. */
export function loadOperationFiles(dir: string, root = dir): ClientOperation[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return loadOperationFiles(path, root);
      if (!entry.name.endsWith('.graphql')) return [];
      return operationsFromDocument(parse(readFileSync(path, 'utf8')), relative(root, path));
    });
}

interface PersistedQueryManifest {
  format: string;
  version: number;
  operations: { id: string; name?: string; type?: string; body: string }[];
}

/** Apollo's persisted query manifest (`apollo-persisted-query-manifest`, version 1). */
export function loadPersistedQueryManifest(text: string, source: string): ClientOperation[] {
  const manifest = JSON.parse(text) as PersistedQueryManifest;
  if (manifest.format !== 'apollo-persisted-query-manifest' || manifest.version !== 1 || !Array.isArray(manifest.operations)) {
    throw new Error(`${source}: not an apollo-persisted-query-manifest version 1`);
  }
  return manifest.operations.flatMap((op) =>
    operationsFromDocument(parse(op.body), `${source}#${op.id}`, op.name).map((o) => ({ ...o, name: op.name ?? o.name })),
  );
}

/**
 * The subgraphs as they are in the working tree. Station schemas are rendered from their template in
 * memory, so a check sees an edited template without `npm run compose` and writes nothing.
 */
export function workingTreeSubgraphs(configPath = resolve(ROOT, 'supergraph.yaml')): SubgraphSource[] {
  return readSupergraphConfig(configPath).map((s) => {
    const profile = Object.values(STATION_PROFILES).find(
      (p) => s.file === resolve(ROOT, `subgraphs/station/generated/${p.station}.graphql`),
    );
    return profile ? { ...s, sdl: renderStationSdl(profile) } : s;
  });
}

/** A file as committed at `rev` (a commit, branch or merge base). */
export function gitShow(rev: string, file: string): string {
  const path = relative(ROOT, resolve(ROOT, file)).split('\\').join('/');
  return execFileSync('git', ['show', `${rev}:${path}`], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/**
 * What `--subgraph <name>` composes: that subgraph as in the working tree, every other one as
 * committed, so only that subgraph's change shows (like `rover subgraph check --name <name>`).
 */
export function withOnlySubgraphChanged(
  working: SubgraphSource[],
  committedSdl: (subgraph: SubgraphSource) => string,
  name: string,
): SubgraphSource[] {
  if (!working.some((s) => s.name === name)) {
    throw new Error(`unknown subgraph "${name}"; supergraph.yaml has ${working.map((s) => s.name).join(', ')}`);
  }
  return working.map((s) => (s.name === name ? s : { ...s, sdl: committedSdl(s) }));
}

/**
 * The breaking changes recorded as made on purpose: a YAML list of `{ kind, coordinate, reason }`. A missing
 * file allows nothing; an entry without a reason is refused, so no change is waved through unexplained.
 */
export function loadAllowedChanges(file: string): AllowedChange[] {
  if (!existsSync(file)) return [];
  const entries: unknown = parseYaml(readFileSync(file, 'utf8')) ?? [];
  if (!Array.isArray(entries)) throw new Error(`${file}: expected a list of { kind, coordinate, reason }`);
  return entries.map((entry: unknown, i) => {
    const e = entry as Partial<AllowedChange> | null;
    if (!e || typeof e.kind !== 'string' || typeof e.coordinate !== 'string' || typeof e.reason !== 'string' || !e.reason.trim()) {
      throw new Error(`${file}: entry ${i + 1} needs a kind, a coordinate and a reason`);
    }
    return { kind: e.kind, coordinate: e.coordinate, reason: e.reason.trim().replace(/\s+/g, ' ') };
  });
}
