import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeServices } from '@apollo/composition';
import { parse, print, validate, type DocumentNode } from 'graphql';
import { ANONYMOUS, userViewer, type Viewer } from '@brigade/platform';
import {
  applyRemovals,
  buildAuthorizationPolicy,
  filterOperation,
  TYPENAME_KEY,
  UNAUTHORIZED_MESSAGE,
  type AuthorizationPolicy,
  type FilterResult,
} from '../src/authorization/index.js';

const brigade = buildAuthorizationPolicy(readFileSync(new URL('../../supergraph.graphql', import.meta.url), 'utf8'));

// A small schema for the cases Brigade's own schema does not have: nested and list-nested protected
// fields, interfaces with protected implementations, type-level scopes reached through a union.
const shopSdl = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@authenticated", "@requiresScopes"])
type Query { items: [Item!]! shelf(id: ID): Shelf things: [Thing!]! hello: String }
interface Item { id: ID! name: String! price: Int }
type Public implements Item { id: ID! name: String! price: Int }
type Vault implements Item @authenticated { id: ID! name: String! price: Int code: String }
type Priced implements Item { id: ID! name: String! price: Int @requiresScopes(scopes: [["a", "b"], ["c"]]) }
type Shelf { id: ID! label: String notes: String! @authenticated rows: [Row!]! }
type Row { cells: [Cell!]! }
type Cell { value: String hidden: String! @requiresScopes(scopes: [["c"]]) }
union Thing = Open | Audit
type Open { id: ID! }
type Audit @requiresScopes(scopes: [["c"]]) { id: ID! secret: String }
`;
const composed = composeServices([{ name: 'shop', url: 'http://shop.invalid', typeDefs: parse(shopSdl) }]);
if (!composed.supergraphSdl) throw new Error(`composition failed: ${composed.errors?.map((e) => e.message).join('; ')}`);
const shopSupergraph = composed.supergraphSdl;
const shop = buildAuthorizationPolicy(shopSupergraph);

const customer = userViewer('u-customer', '');
const staff = userViewer('u-staff', 'orders:manage stock:write', ['STAFF']);
const admin = userViewer('u-admin', 'orders:manage stock:write menu:write users:manage', ['ADMIN']);

function filter(policy: AuthorizationPolicy, query: string | DocumentNode, viewer: Viewer, operationName?: string) {
  const document = typeof query === 'string' ? parse(query) : query;
  const result = filterOperation(policy, document, operationName, viewer);
  return { input: document, result };
}

function paths(result: FilterResult): string[] {
  return result.removals.filter((r) => !r.emptied).map((r) => `${r.path.join('.')}:${r.code}`);
}

function errorsOf(response: { errors?: readonly { path?: readonly (string | number)[]; extensions?: unknown; message: string }[] }) {
  return (response.errors ?? []).map((e) => ({
    path: e.path?.join('.'),
    code: (e.extensions as { code?: string }).code,
    message: e.message,
  }));
}

function expectValid(policy: AuthorizationPolicy, document: DocumentNode): void {
  expect(validate(policy.schema, document).map((e) => e.message)).toEqual([]);
}

describe('policy from the Brigade supergraph', () => {
  it('finds field requirements the API schema drops', () => {
    expect(brigade.fields.get('Query.me')).toEqual({ authenticated: true, scopes: [] });
    expect(brigade.fields.get('Mutation.grantRole')?.scopes).toEqual([[['users:manage']]]);
    expect(brigade.fields.has('Query.menu')).toBe(false);
    expect(brigade.fields.has('User.name')).toBe(false);
  });

  it('propagates a type-level directive to the fields returning the type and to interface fields', () => {
    expect(shop.types.get('Audit')?.scopes).toEqual([[['c']]]);
    expect(shop.fields.get('Query.things')).toBeUndefined();
    // Composition marks Item with Vault's @authenticated; fields returning Item inherit it.
    expect(shop.fields.get('Query.items')?.authenticated).toBe(true);
    expect(shop.fields.get('Item.price')?.scopes).toContainEqual([['a', 'b'], ['c']]);
  });
});

describe('filterOperation on the Brigade supergraph', () => {
  it('when anonymous asks for me and menu, then me is removed with UNAUTHENTICATED and menu stays', () => {
    const { input, result } = filter(brigade, '{ me { id name } menu { id name } }', ANONYMOUS);
    expect(paths(result)).toEqual(['me:UNAUTHENTICATED']);
    expect(result.removals[0]!.coordinate).toBe('Query.me');
    expect(result.empty).toBe(false);
    expect(result.document).not.toBe(input);
    expect(print(result.document)).toBe(print(parse('{ menu { id name } }')));
    expectValid(brigade, result.document);

    const response = applyRemovals({ data: { menu: [{ id: '1', name: 'Coffee' }] } }, result);
    expect(response.data).toEqual({ me: null, menu: [{ id: '1', name: 'Coffee' }] });
    expect(errorsOf(response)).toEqual([{ path: 'me', code: 'UNAUTHENTICATED', message: UNAUTHORIZED_MESSAGE }]);
  });

  it.each([
    ['restockDrink', 'mutation { restockDrink(id: "1", quantity: 1) { id stock } }'],
    ['createMenuItem', 'mutation { createMenuItem(input: { name: "X", price: 1, category: DRINK }) { id } }'],
    ['grantRole', 'mutation { grantRole(userId: "u", role: STAFF) { id roles } }'],
  ])('when a customer calls %s, then it is FORBIDDEN and nothing is executed', (field, query) => {
    const { result } = filter(brigade, query, customer);
    expect(paths(result)).toEqual([`${field}:FORBIDDEN`]);
    expect(result.empty).toBe(true);
    const response = applyRemovals({ data: {} }, result);
    // Every one of these returns a non-null type: the null propagates to data.
    expect(response.data).toBeNull();
    expect(errorsOf(response)).toEqual([{ path: field, code: 'FORBIDDEN', message: UNAUTHORIZED_MESSAGE }]);
  });

  it('when staff calls restockDrink and createMenuItem, then only createMenuItem is removed', () => {
    const { result } = filter(
      brigade,
      'mutation { restockDrink(id: "1", quantity: 1) { id } createMenuItem(input: { name: "X", price: 1, category: DRINK }) { id } }',
      staff,
    );
    expect(paths(result)).toEqual(['createMenuItem:FORBIDDEN']);
    expect(result.permissionKey).toBe('Mutation.createMenuItem');
    expect(result.empty).toBe(false);
  });

  it('when an admin sends anything, then the same document comes back untouched', () => {
    const query = 'query Q($id: ID!) { me { id } user(id: $id) { id } orders { edges { node { id } } } myOrders { edges { cursor } } }';
    const { input, result } = filter(brigade, query, admin);
    expect(result.document).toBe(input);
    expect(result.removals).toEqual([]);
    expect(result.permissionKey).toBe('');
    const data = { me: { id: 'a' } };
    expect(applyRemovals({ data }, result).data).toBe(data);
  });

  it('when a customer queries only public fields, then the same document comes back untouched', () => {
    const { input, result } = filter(brigade, '{ menu { id name price { amount } ... on Drink { stock } } }', customer);
    expect(result.document).toBe(input);
    expect(result.removals).toEqual([]);
  });

  it('when a protected field is aliased twice, then each alias is its own removed path', () => {
    const { result } = filter(brigade, '{ a: me { id } b: me { name } menu { id } }', ANONYMOUS);
    expect(paths(result)).toEqual(['a:UNAUTHENTICATED', 'b:UNAUTHENTICATED']);
    const response = applyRemovals({ data: { menu: [] } }, result);
    expect(response.data).toEqual({ a: null, b: null, menu: [] });
    expect(errorsOf(response).map((e) => e.path)).toEqual(['a', 'b']);
  });

  it('when one user lacks a scope, then only that field is FORBIDDEN and the permission key names it', () => {
    const { result } = filter(brigade, '{ me { id } orders { edges { cursor } } user(id: "x") { id } }', customer);
    expect(paths(result)).toEqual(['orders:FORBIDDEN', 'user:FORBIDDEN']);
    expect(result.permissionKey).toBe('Query.orders,Query.user');
  });

  it('filters the selected operation and drops fragments only the others used', () => {
    const query = `
      query Public { menu { ...Item } }
      query Private { me { ...Me } menu { ...Item } }
      fragment Me on User { id name }
      fragment Item on MenuItem { id name }
    `;
    const { result } = filter(brigade, query, ANONYMOUS, 'Private');
    expect(paths(result)).toEqual(['me:UNAUTHENTICATED']);
    const names = result.document.definitions.map((d) => ('name' in d ? d.name?.value : undefined));
    expect(names).toEqual(['Private', 'Item']);
    expectValid(brigade, result.document);

    const other = filterOperation(brigade, parse(query), 'Public', ANONYMOUS);
    expect(other.removals).toEqual([]);
  });

  it('keeps variables and their definitions', () => {
    const { result } = filter(brigade, 'query ($id: ID!) { menuItem(id: $id) { id } me { id } }', ANONYMOUS);
    expect(print(result.document)).toContain('$id: ID!');
    expect(print(result.document)).toContain('menuItem(id: $id)');
  });

  it('caches the analysis per document and permission class', () => {
    const document = parse('{ me { id } menu { id } }');
    const first = filterOperation(brigade, document, undefined, customer);
    const again = filterOperation(brigade, document, undefined, userViewer('another', 'unrelated:scope'));
    expect(again).toBe(first);
    const anonymous = filterOperation(brigade, document, undefined, ANONYMOUS);
    expect(anonymous).not.toBe(first);
    expect(paths(anonymous)).toEqual(['me:UNAUTHENTICATED']);
  });

  it('when every root field is removed, then the operation is empty', () => {
    const { result } = filter(brigade, '{ me { id } myOrders { edges { cursor } } }', ANONYMOUS);
    expect(result.empty).toBe(true);
    const response = applyRemovals({ data: {} }, result);
    // myOrders is non-null: its null propagates to data, as GraphQL execution would.
    expect(response.data).toBeNull();
    expect(errorsOf(response).map((e) => `${e.path}:${e.code}`)).toEqual(['me:UNAUTHENTICATED', 'myOrders:UNAUTHENTICATED']);
  });

  it('never removes __typename', () => {
    const { result } = filter(brigade, '{ __typename me { id } }', ANONYMOUS);
    expect(result.empty).toBe(false);
    expect(print(result.document)).toContain('__typename');
  });
});

describe('filterOperation on nested, fragment and interface selections', () => {
  const hasAB = userViewer('ab', 'a b');
  const hasC = userViewer('c', 'c');
  const hasA = userViewer('a', 'a');

  it('OR of AND scopes: a+b passes, c passes, a alone does not', () => {
    const query = '{ items { id price } }';
    expect(filter(shop, query, hasAB).result.removals).toEqual([]);
    expect(filter(shop, query, hasC).result.removals).toEqual([]);
    expect(paths(filter(shop, query, hasA).result)).toEqual(['items.price:FORBIDDEN']);
    expect(paths(filter(shop, query, ANONYMOUS).result)).toEqual(['items:UNAUTHENTICATED']);
  });

  it('when a nested non-null field in lists is removed, then null propagates to the nearest nullable parent', () => {
    const { result } = filter(shop, '{ hello shelf { id rows { cells { value hidden } } } }', hasA);
    expect(paths(result)).toEqual(['shelf.rows.cells.hidden:FORBIDDEN']);
    expectValid(shop, result.document);
    const data = {
      hello: 'hi',
      shelf: { id: 's', rows: [{ cells: [{ value: 'x' }, { value: 'y' }] }, { cells: [] }] },
    };
    const response = applyRemovals({ data }, result);
    // Cell.hidden! → Cell! in [Cell!]! → Row! in [Row!]! → Shelf (nullable) becomes null.
    expect(response.data).toEqual({ hello: 'hi', shelf: null });
    expect(errorsOf(response).map((e) => e.path)).toEqual(['shelf.rows.0.cells.0.hidden', 'shelf.rows.0.cells.1.hidden']);
  });

  it('when the removed field is nullable, then only it becomes null, at every list position', () => {
    const policy = buildAuthorizationPolicy(shopSupergraph.replace('hidden: String! @requiresScopes', 'hidden: String @requiresScopes'));
    const { result } = filter(policy, '{ shelf { rows { cells { value hidden } } } }', hasA);
    const response = applyRemovals(
      { data: { shelf: { rows: [{ cells: [{ value: 'x' }] }, { cells: [{ value: 'y' }, { value: 'z' }] }] } } },
      result,
    );
    expect(response.data).toEqual({
      shelf: {
        rows: [
          { cells: [{ value: 'x', hidden: null }] },
          {
            cells: [
              { value: 'y', hidden: null },
              { value: 'z', hidden: null },
            ],
          },
        ],
      },
    });
    expect(errorsOf(response).map((e) => e.path)).toEqual([
      'shelf.rows.0.cells.0.hidden',
      'shelf.rows.1.cells.0.hidden',
      'shelf.rows.1.cells.1.hidden',
    ]);
  });

  it('when a field loses its whole selection, then the field goes too and its child path carries the error', () => {
    const { result } = filter(shop, '{ shelf { notes } hello }', ANONYMOUS);
    expect(paths(result)).toEqual(['shelf.notes:UNAUTHENTICATED']);
    expect(result.removals.filter((r) => r.emptied).map((r) => r.path.join('.'))).toEqual(['shelf']);
    expect(print(result.document)).not.toContain('shelf');
    expectValid(shop, result.document);
    const response = applyRemovals({ data: { hello: 'hi' } }, result);
    expect(response.data).toEqual({ shelf: null, hello: 'hi' });
    expect(errorsOf(response).map((e) => `${e.path}:${e.code}`)).toEqual(['shelf.notes:UNAUTHENTICATED']);
  });

  it('when a named fragment is used at two paths, then each use is filtered and reported at its own path', () => {
    const query = `
      query { shelf { rows { cells { ...C } } } other: shelf(id: "2") { rows { cells { ...C } } } again: shelf { ...S } }
      fragment C on Cell { value hidden }
      fragment S on Shelf { id label }
    `;
    const { result } = filter(shop, query, hasA);
    expect(paths(result)).toEqual(['shelf.rows.cells.hidden:FORBIDDEN', 'other.rows.cells.hidden:FORBIDDEN']);
    const printed = print(result.document);
    // The original C is gone; both uses spread one filtered copy (defined once, never inlined per spread).
    expect(printed).not.toMatch(/fragment C on/);
    expect(printed).toContain('fragment S on Shelf');
    expect(printed.match(/fragment C_\w+ on Cell \{\s+value\s+\}/g)).toHaveLength(1);
    expect(printed).not.toContain('hidden');
    expectValid(shop, result.document);
  });

  it('when a fragment on a protected type is used, then it is removed for those runtime types only', () => {
    const query = '{ things { ... on Open { id } ... on Audit { id secret } } }';
    const { result } = filter(shop, query, hasA);
    expect(paths(result)).toEqual(['things.id:FORBIDDEN', 'things.secret:FORBIDDEN']);
    expect(result.removals.every((r) => r.coordinate === 'Audit')).toBe(true);
    expectValid(shop, result.document);
    // The filter asks for the runtime type where a removal applies to some types only.
    expect(print(result.document)).toContain(`${TYPENAME_KEY}: __typename`);
    const response = applyRemovals(
      {
        data: {
          things: [{ id: 'o1', [TYPENAME_KEY]: 'Open' }, { [TYPENAME_KEY]: 'Audit' }],
        },
      },
      result,
    );
    // Audit.id is non-null: the Audit object itself becomes null, then [Thing!]! and data.
    expect(response.data).toBeNull();
    expect(errorsOf(response).map((e) => `${e.path}:${e.code}`)).toEqual(['things.1.id:FORBIDDEN', 'things.1.secret:FORBIDDEN']);

    const allowed = filter(shop, query, hasC).result;
    expect(allowed.removals).toEqual([]);
  });

  it('when a fragment on a protected type selects nullable fields, then other types keep their data', () => {
    const query = '{ things { ... on Open { id } ... on Audit { secret } } }';
    const { result } = filter(shop, query, hasA);
    const response = applyRemovals({ data: { things: [{ id: 'o1', [TYPENAME_KEY]: 'Open' }, { [TYPENAME_KEY]: 'Audit' }] } }, result);
    expect(response.data).toEqual({ things: [{ id: 'o1' }, { secret: null }] });
    expect(errorsOf(response).map((e) => e.path)).toEqual(['things.1.secret']);
  });

  it('when a fragment spread has a protected type condition, then the spread and its definition go', () => {
    const query = '{ things { ...A ... on Open { id } } } fragment A on Audit { secret }';
    const { result } = filter(shop, query, ANONYMOUS);
    expect(paths(result)).toEqual(['things.secret:UNAUTHENTICATED']);
    expect(print(result.document)).not.toContain('fragment A');
    expectValid(shop, result.document);
  });

  it('when an interface field is protected only on an implementation, then it is removed through the interface', () => {
    // Composition copies implementation requirements onto the interface; Router would still be
    // conservative without that copy, so the policy must not depend on it.
    const stripped = shopSupergraph
      .replace(/(interface Item[^{]*?)@authenticated\s*/, '$1')
      .replace(/(interface Item[\s\S]*?price: Int) @requiresScopes\(scopes: \[\["a", "b"\], \["c"\]\]\)/, '$1');
    expect(stripped).not.toBe(shopSupergraph);
    const policy = buildAuthorizationPolicy(stripped);
    expect(policy.types.has('Item')).toBe(false);

    // Vault (an implementation) is @authenticated: anonymous reads of any Item field are removed.
    expect(paths(filter(policy, '{ items { id } }', ANONYMOUS).result)).toEqual(['items.id:UNAUTHENTICATED']);
    // Priced.price needs a+b or c: reading price through Item needs it too.
    expect(paths(filter(policy, '{ items { id price } }', hasA).result)).toEqual(['items.price:FORBIDDEN']);
    expect(filter(policy, '{ items { id price } }', hasC).result.removals).toEqual([]);
    // Through a fragment on an unprotected implementation, only that implementation's field counts.
    const narrow = filter(policy, '{ items { ... on Public { price } } }', hasA).result;
    expect(narrow.removals).toEqual([]);
  });

  it('when a removal sits inside a type condition on an interface, then only matching objects are nulled', () => {
    const { result } = filter(shop, '{ items { id ... on Priced { price } } }', hasA);
    expect(paths(result)).toEqual(['items.price:FORBIDDEN']);
    const response = applyRemovals(
      {
        data: {
          items: [
            { id: '1', [TYPENAME_KEY]: 'Public' },
            { id: '2', [TYPENAME_KEY]: 'Priced' },
          ],
        },
      },
      result,
    );
    expect(response.data).toEqual({ items: [{ id: '1' }, { id: '2', price: null }] });
    expect(errorsOf(response).map((e) => e.path)).toEqual(['items.1.price']);
  });

  it('when the same response key is also selected where it is allowed, then present values are kept', () => {
    const { result } = filter(shop, '{ items { ... on Priced { price } ... on Public { price } } }', hasA);
    expect(paths(result)).toEqual(['items.price:FORBIDDEN']);
    const response = applyRemovals({ data: { items: [{ price: 3, [TYPENAME_KEY]: 'Public' }, { [TYPENAME_KEY]: 'Priced' }] } }, result);
    expect(response.data).toEqual({ items: [{ price: 3 }, { price: null }] });
  });

  it('when a protected fragment held only __typename, then its emptied parent is still reported', () => {
    const { result } = filter(shop, '{ hello things { ... on Audit { __typename } } }', hasA);
    expect(paths(result)).toEqual(['things:FORBIDDEN']);
    const response = applyRemovals({ data: { hello: 'hi' } }, result);
    expect(response.data).toBeNull();
    expect(errorsOf(response).map((e) => e.path)).toEqual(['things']);
  });

  it('keeps errors already in the result and adds none when data is null', () => {
    const { result } = filter(shop, '{ shelf { id notes } }', ANONYMOUS);
    const upstream = { message: 'boom' } as never;
    const response = applyRemovals({ data: null, errors: [upstream] }, result);
    expect(response.errors).toEqual([upstream]);
  });
});
