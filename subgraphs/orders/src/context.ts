import type { BatchLoader, LiveFeed, SubgraphContext } from '@brigade/platform';
import type { OrderChange, OrdersRepository } from './data/ordersRepository.js';
import type { Order, OrderLine } from './domain/order.js';
import type { PlaceOrderSaga } from './domain/placeOrder.js';
import type { StationPort } from './domain/ports.js';

export interface OrdersDeps {
  readonly orders: OrdersRepository;
  readonly saga: PlaceOrderSaga;
  readonly stations: StationPort;
  /** Every committed change of a visible order, for subscriptions. */
  readonly orderEvents: LiveFeed<OrderChange>;
}

/** Per request: one SQL for every order (or order's lines) the request resolves. */
export interface OrdersRequestDeps {
  readonly orderLoader: BatchLoader<string, Order>;
  readonly lineLoader: BatchLoader<string, OrderLine[]>;
}

export type OrdersContext = SubgraphContext & OrdersDeps & OrdersRequestDeps;
