/**
 * Timeouts for tests whose subject is not a timeout, such as a race of dozens of orders: on a loaded machine
 * the defaults (2 s a station call, 4 s a saga) can run out, which is orders' failure tests' subject.
 */
export const UNHURRIED = {
  orders: { STATION_TIMEOUT_MS: '15000', MENU_TIMEOUT_MS: '15000', ORDERS_DEADLINE_MS: '30000' },
  gateway: { SUBGRAPH_TIMEOUT_MS: '40000' },
} as const;
