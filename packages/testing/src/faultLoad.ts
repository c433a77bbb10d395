import { STATION_PROFILES } from '@brigade/station/stations';
import type { SignedInUser } from './client.js';
import { SEED_MENU } from './seedMenu.js';
import type { Stack } from './stack.js';

export interface FaultLoadOptions {
  /** Concurrent customers, each placing one order after another (closed loop). */
  customers: number;
  /** How long customers keep ordering. */
  durationMs: number;
  /** Started `faultAfterMs` into the run; the load goes on while it runs. */
  fault: (stack: Stack) => Promise<void>;
  faultAfterMs: number;
  /**
   * How long to wait after the last answer before counting placed orders: longer than any saga can still
   * decide after its client was answered (with one deadline across hops, none can).
   */
  settleMs: number;
  /** Units added to every item's stock first, so that shortages stay rare. */
  restock?: number;
}

export interface FaultLoadResult {
  attempts: number;
  toldPlaced: number;
  toldRejected: number;
  /** Errors instead of an outcome (SUBGRAPH_UNAVAILABLE, a timeout, a transport failure). */
  toldFailed: number;
  /** Orders in the customers' lists at the end. */
  placed: number;
  /** Orders placed beyond what their customer was told was placed: "told failed, but placed". */
  toldFailedButPlaced: number;
  /** Orders a customer was told were placed but that are not in their list. */
  toldPlacedButMissing: number;
  /** Error codes of the failures, with counts. */
  failureCodes: Record<string, number>;
  /** The first message seen for each failure code. */
  failureSamples: Record<string, string>;
}

const PLACE = /* GraphQL */ `
  mutation FaultLoadPlace($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPlaced {
        order {
          id
        }
      }
      ... on OrderRejected {
        reason
      }
    }
  }
`;

/**
 * Customers place orders without idempotency keys while a fault hits the stack, then each customer's own
 * list of orders is compared with what they were told: a customer told that an order failed who finds it
 * placed would, in real life, order again. Two orders in three take a drink (the bar) and one other item, the
 * third only food, so a fault at the bar reaches most sagas while the rest of the stack keeps selling.
 */
export async function runFaultLoad(stack: Stack, options: FaultLoadOptions): Promise<FaultLoadResult> {
  const admin = await stack.adminToken();
  for (const item of SEED_MENU) {
    const result = await stack.query(
      `mutation($id: ID!, $q: Int!) { restock${STATION_PROFILES[item.station].itemType}(id: $id, quantity: $q) { id } }`,
      {
        variables: { id: item.id, q: options.restock ?? 5_000 },
        token: admin,
      },
    );
    if (result.errors) throw new Error(`restock failed: ${JSON.stringify(result.errors)}`);
  }
  const drinks = SEED_MENU.filter((i) => i.station === 'bar' && i.name !== 'Beer');
  const others = SEED_MENU.filter((i) => i.station !== 'bar');
  const customers: SignedInUser[] = [];
  for (let i = 0; i < options.customers; i++) customers.push(await stack.signUp());

  const told = customers.map(() => 0);
  const result: FaultLoadResult = {
    attempts: 0,
    toldPlaced: 0,
    toldRejected: 0,
    toldFailed: 0,
    placed: 0,
    toldFailedButPlaced: 0,
    toldPlacedButMissing: 0,
    failureCodes: {},
    failureSamples: {},
  };
  const failed = (code: string, message: string) => {
    result.toldFailed++;
    result.failureSamples[code] ??= `${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${message}`;
    result.failureCodes[code] = (result.failureCodes[code] ?? 0) + 1;
  };
  const startedAt = Date.now();
  const endAt = startedAt + options.durationMs;
  let faultError: unknown;
  const fault = new Promise<void>((resolve) => setTimeout(resolve, options.faultAfterMs)).then(() =>
    options.fault(stack).catch((error: unknown) => {
      faultError = error;
    }),
  );
  await Promise.all(
    customers.map(async (customer, c) => {
      for (let i = 0; Date.now() < endAt; i++) {
        const food = { menuItemId: others[(c * 3 + i) % others.length]!.id, quantity: 1 + (i % 2) };
        const lines = (c + i) % 3 === 0 ? [food] : [{ menuItemId: drinks[(c + i) % drinks.length]!.id, quantity: 1 }, food];
        result.attempts++;
        try {
          const r = await stack.query(PLACE, { variables: { input: { lines } }, token: customer.accessToken });
          const kind = r.data?.placeOrder?.__typename;
          if (kind === 'OrderPlaced') {
            result.toldPlaced++;
            told[c]!++;
          } else if (kind === 'OrderRejected') result.toldRejected++;
          else failed(String(r.errors?.[0]?.extensions?.code ?? `HTTP ${r.status}`), String(r.errors?.[0]?.message));
        } catch (error) {
          failed('TRANSPORT', (error as Error).message);
        }
      }
    }),
  );
  await fault;
  if (faultError) throw faultError;
  await new Promise((resolve) => setTimeout(resolve, options.settleMs));
  for (const [c, customer] of customers.entries()) {
    const placed = await countOrders(stack, customer);
    result.placed += placed;
    result.toldFailedButPlaced += Math.max(0, placed - told[c]!);
    result.toldPlacedButMissing += Math.max(0, told[c]! - placed);
  }
  return result;
}

async function countOrders(stack: Stack, customer: SignedInUser): Promise<number> {
  let count = 0;
  let after: string | null = null;
  for (;;) {
    const r: {
      data?: { myOrders: { edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null;
      errors?: unknown;
    } = await stack.query<{ myOrders: { edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(
      'query($after: String) { myOrders(first: 100, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } }',
      { variables: { after }, token: customer.accessToken },
    );
    if (!r.data) throw new Error(`myOrders failed: ${JSON.stringify(r.errors)}`);
    count += r.data.myOrders.edges.length;
    if (!r.data.myOrders.pageInfo.hasNextPage) return count;
    after = r.data.myOrders.pageInfo.endCursor;
  }
}
