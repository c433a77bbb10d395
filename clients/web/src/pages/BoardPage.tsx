import { useMutation, useQuery } from '@apollo/client/react';
import { useId, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ErrorMessage, Loading } from '../components/feedback.js';
import { OrderCard } from '../components/OrderCard.js';
import {
  AdvanceOrderDocument,
  BoardDocument,
  CancelOrderDocument,
  type BoardQuery,
  type OrderStatus,
  type Station,
} from '../graphql/generated.js';
import { LiveNotice, useLiveBoard } from '../live.js';
import { nextStatus } from '../rules.js';

type BoardOrder = BoardQuery['orders']['edges'][number]['node'];

/** The statuses an order is worked through on the board, each one's column. */
const COLUMNS = ['PLACED', 'PREPARING', 'READY'] as const satisfies readonly OrderStatus[];
type ActiveStatus = (typeof COLUMNS)[number];

const STATIONS: { value: Station | ''; label: string }[] = [
  { value: '', label: 'All stations' },
  { value: 'KITCHEN', label: 'Kitchen' },
  { value: 'BAR', label: 'Bar' },
  { value: 'BAKERY', label: 'Bakery' },
];

function parseStation(value: string | null): Station | null {
  return value === 'KITCHEN' || value === 'BAR' || value === 'BAKERY' ? value : null;
}

const BOARD_SIZE = 50;

/** The board: every active order, or one station's, in columns by status; advance or cancel each. */
export function BoardPage() {
  const [params, setParams] = useSearchParams();
  const station = parseStation(params.get('station'));
  const stationId = useId();
  const placed = useQuery(BoardDocument, { variables: { status: 'PLACED', first: BOARD_SIZE } });
  const preparing = useQuery(BoardDocument, { variables: { status: 'PREPARING', first: BOARD_SIZE } });
  const ready = useQuery(BoardDocument, { variables: { status: 'READY', first: BOARD_SIZE } });
  const queries = [placed, preparing, ready];
  const [advance] = useMutation(AdvanceOrderDocument);
  const [cancel] = useMutation(CancelOrderDocument);
  const [actionError, setActionError] = useState<unknown>(null);
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set());
  // New orders arrive live; changes to listed ones update them in the cache by themselves.
  const [arrived, setArrived] = useState<ReadonlyMap<string, BoardOrder>>(new Map());
  const live = useLiveBoard(
    station,
    (order) => {
      setArrived((map) => ((map.get(order.id)?.version ?? 0) >= order.version ? map : new Map(map).set(order.id, order)));
      // A new order joins its column's query too, so later changes reach it through the cache.
      if (!queries.some((q) => q.data?.orders.edges.some((e) => e.node.id === order.id))) void placed.refetch().catch(() => undefined);
    },
    () => queries.forEach((q) => void q.refetch().catch(() => undefined)),
  );

  // One list of every order loaded, by id: an order that moved on shows in its new status's column at once.
  const byId = new Map<string, BoardOrder>(arrived);
  for (const query of queries) for (const edge of query.data?.orders.edges ?? []) byId.set(edge.node.id, edge.node);
  // A line whose item cannot be looked up right now (menu down) counts for every station: seen twice, never missed.
  const visible = [...byId.values()]
    .filter((order) => !station || order.lines.some((line) => !line.menuItem || line.menuItem.station === station))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));

  async function act(id: string, run: () => Promise<unknown>) {
    setActionError(null);
    setPending((p) => new Set(p).add(id));
    try {
      await run();
    } catch (error) {
      setActionError(error);
    } finally {
      setPending((p) => {
        const next = new Set(p);
        next.delete(id);
        return next;
      });
    }
  }

  const error = queries.find((q) => q.error)?.error;
  return (
    <section aria-labelledby="board-title">
      <div className="board-head">
        <h1 id="board-title">Board</h1>
        <label htmlFor={stationId}>Station</label>
        <select
          id={stationId}
          value={station ?? ''}
          onChange={(e) => setParams(e.target.value ? { station: e.target.value } : {}, { replace: true })}
        >
          {STATIONS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      {queries.some((q) => q.loading && !q.data) && <Loading what="the board" />}
      <LiveNotice state={live} />
      <ErrorMessage error={error} />
      <ErrorMessage error={actionError} />
      <div className="columns">
        {COLUMNS.map((status: ActiveStatus) => {
          const column = visible.filter((order) => order.status === status);
          return (
            <section key={status} className="column" aria-labelledby={`col-${status}`}>
              <h2 id={`col-${status}`}>
                {status} <span className="count">{column.length}</span>
              </h2>
              {column.map((order) => {
                const next = nextStatus(order.status);
                const busy = pending.has(order.id);
                return (
                  <OrderCard key={order.id} order={order} customer={order.customer?.name ?? 'A customer'} highlight={station}>
                    {next && (
                      <button
                        type="button"
                        className="primary"
                        disabled={busy}
                        title={`Move to ${next}`}
                        onClick={() => act(order.id, () => advance({ variables: { id: order.id, status: next } }))}
                      >
                        Advance
                      </button>
                    )}
                    <button type="button" disabled={busy} onClick={() => act(order.id, () => cancel({ variables: { id: order.id } }))}>
                      Cancel
                    </button>
                  </OrderCard>
                );
              })}
            </section>
          );
        })}
      </div>
    </section>
  );
}
