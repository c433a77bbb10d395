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
