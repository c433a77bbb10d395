/** Every Brigade process, by the name it uses in `supergraph.yaml`, credentials and logs. */
export const SUBGRAPHS = ['auth', 'menu', 'orders', 'kitchen', 'bar', 'bakery'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];
export const SERVICES = ['gateway', ...SUBGRAPHS] as const;
export type ServiceName = (typeof SERVICES)[number];

export const DEFAULT_PORTS: Record<ServiceName, number> = {
  gateway: 4000,
  auth: 4001,
  menu: 4002,
  orders: 4003,
  kitchen: 4004,
  bar: 4005,
  bakery: 4006,
};

export const STATIONS = ['kitchen', 'bar', 'bakery'] as const;
export type StationName = (typeof STATIONS)[number];

/**
 * The variable that says where a subgraph answers, `SUBGRAPH_<NAME>_URL`: read by the gateway (over the
 * supergraph's routing URL) and by services calling each other, so one setting serves both.
 */
export function subgraphUrlVariable(name: string): string {
  return `SUBGRAPH_${name.toUpperCase()}_URL`;
}
