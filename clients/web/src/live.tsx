import type { ApolloCache, TypedDocumentNode } from '@apollo/client';
import { useApolloClient } from '@apollo/client/react';
import { useEffect, useRef, useState } from 'react';
import { describeError } from './api/errors.js';
import {
  DishStockDocument,
  DrinkStockDocument,
  MyOrderUpdatesDocument,
  OrderBoardUpdatesDocument,
  OrderCardFragmentDoc,
  PastryStockDocument,
  type OrderBoardUpdatesSubscription,
  type OrderCardFragment,
  type Station,
} from './graphql/generated.js';
import { useSession } from './state.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'refused';

interface LiveOptions<TData> {
  /** Every event, after Apollo Client has written it into the cache (normalised entities update in place). */
  readonly onEvent?: (data: TData) => void;
  /** After a reconnection: what may have been missed while the stream was down should be fetched again. */
  readonly onResume?: () => void;
  readonly skip?: boolean;
  /**
   * Writes an event into the cache itself instead of letting Apollo Client do it (which it does
   * unconditionally): for orders, whose events carry a version and may be older than what a query or a
   * mutation already brought.
   */
  readonly write?: (cache: ApolloCache, data: TData) => void;
}

const MAX_BACKOFF_MS = 15_000;

/**
 * A subscription that stays up: it reconnects after an error or the end of its stream (with backoff), and
 * whenever the access token is renewed — the API ends a stream when the token it was opened with expires —
 * calling `onResume` so the page refetches what it may have missed. A refusal (FORBIDDEN, not in the
 * safelist) is final.
 */
export function useLive<TData, TVariables extends Record<string, unknown>>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  options: LiveOptions<TData> = {},
): LiveState {
  const client = useApolloClient();
  const { session } = useSession();
  const token = session?.accessToken ?? null;
  const [state, setState] = useState<LiveState>('connecting');
  const [generation, setGeneration] = useState(0);
  const handlers = useRef(options);
  handlers.current = options;
  const started = useRef(false);
  const failures = useRef(0);
  const key = JSON.stringify(variables);

  useEffect(() => {
    if (options.skip) return;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let closed = false;
    const reconnect = () => {
      if (closed) return;
      closed = true;
      setState('reconnecting');
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures.current++);
      retry = setTimeout(() => setGeneration((g) => g + 1), delay);
    };
    if (started.current) handlers.current.onResume?.();
    started.current = true;
    const subscription = client
      // Results go into the cache: an Order or a Drink event updates that entity wherever it is shown.
      .subscribe({
        query: document,
        variables: JSON.parse(key) as TVariables,
        ...(handlers.current.write ? { fetchPolicy: 'no-cache' as const } : {}),
      })
      .subscribe({
        next: (result) => {
          if (result.error) {
            const kind = describeError(result.error).kind;
            if (kind === 'forbidden' || kind === 'not-allowed' || kind === 'bad-input') {
              closed = true;
              setState('refused');
            } else reconnect();
            return;
          }
          failures.current = 0;
          setState('live');
          if (!result.data) return;
          handlers.current.write?.(client.cache, result.data as TData);
          handlers.current.onEvent?.(result.data as TData);
        },
        error: reconnect,
        complete: reconnect,
      });
    // A stream that opened without error is live until told otherwise.
    setState((s) => (s === 'refused' ? s : s === 'reconnecting' ? s : 'live'));
    return () => {
      closed = true;
      clearTimeout(retry);
      subscription.unsubscribe();
    };
  }, [client, document, key, token, generation, options.skip]);

  return options.skip ? 'connecting' : state;
}

/** Stock of every station, live: each event updates that item in the cache, so the menu re-renders. */
export function useLiveStock(onResume?: () => void): LiveState {
  const drinks = useLive(DrinkStockDocument, {}, { onResume });
  const dishes = useLive(DishStockDocument, {}, {});
  const pastries = useLive(PastryStockDocument, {}, {});
  return worst([drinks, dishes, pastries]);
}

/**
 * Puts an order event into the cache unless the cache already holds that version or a later one (events
 * and query answers can cross): every list showing the order re-renders from the cache.
 */
export function writeOrderIfNewer(cache: ApolloCache, order: OrderCardFragment): boolean {
  const id = cache.identify(order);
  if (!id) return false;
  const known = cache.readFragment({ id, fragment: OrderCardFragmentDoc, fragmentName: 'OrderCard', returnPartialData: true });
  if (known && typeof known.version === 'number' && known.version >= order.version) return false;
  cache.writeFragment({ id, fragment: OrderCardFragmentDoc, fragmentName: 'OrderCard', data: order });
  return true;
}

/** The signed-in customer's orders, live; `onNew` gets an order the page has not listed yet. */
export function useLiveMyOrders(onNew: (order: OrderCardFragment) => void, onResume: () => void): LiveState {
  const { session } = useSession();
  return useLive(
    MyOrderUpdatesDocument,
    {},
    {
      skip: !session,
      write: (cache, data) => writeOrderIfNewer(cache, data.myOrderUpdates),
      onEvent: (data) => onNew(data.myOrderUpdates),
      onResume,
    },
  );
}

export type BoardEvent = OrderBoardUpdatesSubscription['orderBoard'];

/** Every new or changed order for the board (one station's, or all). */
export function useLiveBoard(station: Station | null, onEvent: (order: BoardEvent) => void, onResume: () => void): LiveState {
  return useLive(
    OrderBoardUpdatesDocument,
    { station },
    {
      write: (cache, data) => writeOrderIfNewer(cache, data.orderBoard),
      onEvent: (data) => onEvent(data.orderBoard),
      onResume,
    },
  );
}

function worst(states: LiveState[]): LiveState {
  for (const s of ['refused', 'reconnecting', 'connecting'] as const) if (states.includes(s)) return s;
  return 'live';
}

const LABELS: Record<LiveState, string | null> = {
  connecting: null,
  live: null,
  reconnecting: 'Live updates paused: reconnecting…',
  refused: 'Live updates are not available here.',
};

/** Tells the person when what they see may be stale. */
export function LiveNotice({ state }: { state: LiveState }) {
  const label = LABELS[state];
  return label ? (
    <p className="notice-inline" role="status">
      {label}
    </p>
  ) : null;
}
