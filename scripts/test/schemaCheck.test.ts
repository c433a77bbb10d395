import { parse } from 'graphql';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, compose, type SubgraphSource } from '../lib/composition.js';
import {
  formatReport,
  loadOperationFiles,
  loadPersistedQueryManifest,
  operationsFromDocument,
  runSchemaCheck,
  withOnlySubgraphChanged,
  workingTreeSubgraphs,
  loadAllowedChanges,
  type AllowedChange,
  type ClientOperation,
} from '../lib/schemaChanges.js';

let base: SubgraphSource[];
let baseSupergraphSdl: string;
let operations: ClientOperation[];

beforeAll(() => {
  // The base is composed here rather than read from git, so the test does not depend on what is committed.
  base = workingTreeSubgraphs();
  const composed = compose(base);
  if (!composed.supergraphSdl) throw new Error(JSON.stringify(composed.errors));
  baseSupergraphSdl = composed.supergraphSdl;
  operations = loadOperationFiles(resolve(ROOT, 'clients/operations'));
});

/** The base subgraphs with `edit` applied to one subgraph's SDL (which must change). */
function edited(subgraphs: SubgraphSource[], name: string, edit: (sdl: string) => string): SubgraphSource[] {
  return subgraphs.map((s) => {
    if (s.name !== name) return s;
    const sdl = edit(s.sdl);
    if (sdl === s.sdl) throw new Error(`edit of ${name} changed nothing`);
    return { ...s, sdl };
  });
}

const check = (
  subgraphs: SubgraphSource[],
  extra: { allowBreaking?: boolean; operations?: ClientOperation[]; allowed?: AllowedChange[] } = {},
) =>
  runSchemaCheck({
    subgraphs,
    baseSupergraphSdl,
    operations: extra.operations ?? operations,
    allowBreaking: extra.allowBreaking,
    allowed: extra.allowed,
  });

const failing = (report: Awaited<ReturnType<typeof check>>) =>
  report.operations.filter((o) => o.errors.length || o.breakingChanges.length).map((o) => o.operation.name);

describe('schema:check', () => {
  it('passes the unchanged schema and every client operation', async () => {
    const report = await check(base);
    expect(operations.map((o) => o.name)).toEqual(
      expect.arrayContaining(['Menu', 'MenuItem', 'SignUp', 'LogIn', 'MeWithOrders', 'PlaceOrder', 'RestockDrink']),
    );
    expect(report.changes).toEqual([]);
    expect(failing(report)).toEqual([]);
    expect(report.exitCode).toBe(0);
  });

  it('fails on a removed field a client operation uses, naming the operation', async () => {
    const report = await check(
      edited(base, 'menu', (sdl) => sdl.replace('  menuItem(id: ID!): MenuItem\n', '')),
      {
        allowBreaking: true,
      },
    );
    expect(report.changes).toContainEqual({
      level: 'BREAKING',
      kind: 'FIELD_REMOVED',
      coordinate: 'Query.menuItem',
      message: 'Field "menuItem" was removed from object type "Query".',
    });
    expect(failing(report)).toEqual(['MenuItem']);
    expect(report.exitCode).toBe(1);
    expect(report.failures.join('\n')).toContain('MenuItem');
    const text = formatReport(report);
    expect(text).toMatch(/^BREAKING +FIELD_REMOVED +Query\.menuItem {2}Field "menuItem" was removed from object type "Query"\.$/m);
    expect(text).toMatch(/^FAIL {2}MenuItem {2}\(menu\.graphql\)$/m);
  });

  it('when a breaking change is recorded as allowed with its reason, then it is reported with the reason and fails nothing', async () => {
    const menuItemRequired = (sdl: string) => sdl.replace(/^(\s+menuItem: MenuItem)$/m, '$1!');
    // The base has a required OrderLine.menuItem; the working tree's nullable one is the change under test.
    const requiredBase = compose(edited(base, 'orders', menuItemRequired));
    if (!requiredBase.supergraphSdl) throw new Error(JSON.stringify(requiredBase.errors));
    const run = (allowed?: AllowedChange[]) =>
      runSchemaCheck({ subgraphs: base, baseSupergraphSdl: requiredBase.supergraphSdl!, operations, allowed });
    const refused = await run();
    expect(refused.exitCode).toBe(1);
    expect(refused.failures.join('\n')).toContain('PlaceOrder');

    const allowed = await run(loadAllowedChanges(resolve(ROOT, 'schema-changes.yaml')));
    expect(allowed.changes).toContainEqual(
      expect.objectContaining({
        level: 'BREAKING',
        kind: 'FIELD_TYPE_CHANGED',
        coordinate: 'OrderLine.menuItem',
        allowed: expect.stringContaining('outage'),
      }),
    );
    expect(allowed.failures).toEqual([]);
    expect(allowed.exitCode).toBe(0);
    expect(formatReport(allowed)).toMatch(/^ +allowed: MenuItem! became MenuItem/m);
  });

  it('fails on a changed argument type', async () => {
    const report = await check(edited(base, 'menu', (sdl) => sdl.replace('menuItem(id: ID!)', 'menuItem(id: Int!)')));
    expect(report.changes).toContainEqual(
      expect.objectContaining({ level: 'BREAKING', kind: 'FIELD_ARGUMENT_TYPE_CHANGED', coordinate: 'Query.menuItem.id' }),
    );
    expect(failing(report)).toEqual(['MenuItem']);
    expect(report.exitCode).toBe(1);
  });

  it('fails on a new required argument', async () => {
    const report = await check(
      edited(base, 'menu', (sdl) => sdl.replace('menu(category: Category)', 'menu(category: Category, limit: Int!)')),
    );
    expect(report.changes).toContainEqual(
      expect.objectContaining({ level: 'BREAKING', kind: 'FIELD_ARGUMENT_ADDED', coordinate: 'Query.menu.limit' }),
    );
    expect(failing(report)).toEqual(['Menu']);
    expect(report.exitCode).toBe(1);
  });

  it('passes an added optional field (safe) and optional argument (dangerous: it may change results)', async () => {
    const report = await check(
      edited(base, 'menu', (sdl) =>
        sdl
          .replace('menu(category: Category)', 'menu(category: Category, search: String)')
          .replace(
            'type Dish implements MenuItem @key(fields: "id") {\n',
            'type Dish implements MenuItem @key(fields: "id") {\n  spicy: Boolean\n',
          ),
      ),
    );
    expect(report.changes.map((c) => [c.level, c.kind, c.coordinate])).toEqual([
      ['DANGEROUS', 'FIELD_ARGUMENT_ADDED', 'Query.menu.search'],
      ['NON_BREAKING', 'FIELD_ADDED', 'Dish.spicy'],
    ]);
    expect(report.exitCode).toBe(0);
    expect(formatReport(report)).toContain('Check passed.');
  });

  it('fails on a breaking change no operation uses unless --allow-breaking', async () => {
    // No client operation reads a user by id (the web app grants roles by id, it never looks one up).
    const subgraphs = edited(base, 'auth', (sdl) => sdl.replace(/ {2}user\(id: ID!\): User.*\n/, ''));
    const strict = await check(subgraphs);
    expect(failing(strict)).toEqual([]);
    expect(strict.exitCode).toBe(1);
    expect(strict.failures.join('\n')).toContain('--allow-breaking');
    expect((await check(subgraphs, { allowBreaking: true })).exitCode).toBe(0);
  });

  it('names a persisted operation from the manifest that a change breaks', async () => {
    const manifest = JSON.stringify({
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: [{ id: 'abc123', name: 'KioskPrices', type: 'query', body: 'query KioskPrices { menu { id price { amount } } }' }],
    });
    const persisted = loadPersistedQueryManifest(manifest, 'manifest.json');
    expect(persisted.map((o) => [o.name, o.source])).toEqual([['KioskPrices', 'manifest.json#abc123']]);
    // Money is @shareable in menu and orders: it must go from both for the field to leave the API.
    let subgraphs = edited(base, 'menu', (sdl) => sdl.replace('  amount: Int!\n', '  cents: Int!\n'));
    subgraphs = edited(subgraphs, 'orders', (sdl) => sdl.replace('  amount: Int!\n', '  cents: Int!\n'));
    const report = await check(subgraphs, { operations: persisted, allowBreaking: true });
    expect(failing(report)).toEqual(['KioskPrices']);
    expect(report.operations[0]!.breakingChanges.map((c) => c.coordinate)).toEqual(['Money.amount']);
    expect(() => loadPersistedQueryManifest('{"format":"other","version":1,"operations":[]}', 'x.json')).toThrow(
      /apollo-persisted-query-manifest/,
    );
  });

  it('counts a new required input field against operations that send that input', async () => {
    const report = await check(edited(base, 'auth', (sdl) => sdl.replace('input LogInInput {\n', 'input LogInInput {\n  otp: String!\n')));
    expect(report.changes).toContainEqual(expect.objectContaining({ level: 'BREAKING', coordinate: 'LogInInput.otp' }));
    const logIn = report.operations.find((o) => o.operation.name === 'LogIn')!;
    expect(logIn.breakingChanges.map((c) => c.coordinate)).toEqual(['LogInInput.otp']);
    expect(failing(report)).toEqual(['LogIn']);
  });

  it("--subgraph picks up only that subgraph's change", async () => {
    let working = edited(base, 'menu', (sdl) => sdl.replace('  menuItem(id: ID!): MenuItem\n', ''));
    working = edited(working, 'auth', (sdl) => sdl.replace('type Query {\n', 'type Query {\n  ping: String\n'));
    const committed = (s: SubgraphSource) => base.find((b) => b.name === s.name)!.sdl;

    const auth = await check(withOnlySubgraphChanged(working, committed, 'auth'));
    expect(auth.changes.map((c) => c.coordinate)).toEqual(['Query.ping']);
    expect(auth.exitCode).toBe(0);

    const menu = await check(withOnlySubgraphChanged(working, committed, 'menu'));
    expect(menu.changes.map((c) => c.coordinate)).toEqual(['Query.menuItem']);
    expect(menu.exitCode).toBe(1);

    expect(() => withOnlySubgraphChanged(working, committed, 'payments')).toThrow(/unknown subgraph "payments"/);
  });

  it('fails when the subgraphs no longer compose', async () => {
    const report = await check(
      edited(base, 'orders', (sdl) =>
        sdl.replace('type User @key(fields: "id") {\n  id: ID!', 'type User @key(fields: "id") {\n  id: Int!'),
      ),
    );
    expect(report.compositionErrors.length).toBeGreaterThan(0);
    expect(report.exitCode).toBe(1);
    expect(formatReport(report)).toMatch(/^error\[[A-Z_]+\]: /m);
  });

  it('validates each operation with the fragments of its own file', () => {
    const ops = operationsFromDocument(parse('query A { me { ...U } } query B { me { id } } fragment U on User { id }'), 'f.graphql');
    expect(ops.map((o) => [o.name, o.document.definitions.length])).toEqual([
      ['A', 2],
      ['B', 2],
    ]);
  });
});
