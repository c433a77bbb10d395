import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { ErrorMessage, Loading } from '../components/feedback.js';
import { OrderCard } from '../components/OrderCard.js';
import { CancelOrderDocument, MeWithOrdersDocument, type OrderCardFragment } from '../graphql/generated.js';
import { LiveNotice, useLiveMyOrders } from '../live.js';
import { useSession } from '../state.js';

const PAGE_SIZE = 10;

export function MyOrdersPage() {
  const { session } = useSession();
  const { data, loading, error, fetchMore, refetch } = useQuery(MeWithOrdersDocument, {
    variables: { first: PAGE_SIZE },
    notifyOnNetworkStatusChange: true,
  });
  const [cancelOrder] = useMutation(CancelOrderDocument);
  const [actionError, setActionError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  // Orders placed elsewhere (another tab, another device) arrive live before any refetch lists them.
  const [arrived, setArrived] = useState<readonly OrderCardFragment[]>([]);
  const live = useLiveMyOrders(
    (order) => {
      if (data?.myOrders.edges.some((edge) => edge.node.id === order.id)) return;
      setArrived((list) => [order, ...list.filter((o) => o.id !== order.id)]);
      void refetch().catch(() => undefined);
    },
    () => void refetch().catch(() => undefined),
  );
  const connection = data?.myOrders;
  const listed = connection?.edges.map((edge) => edge.node) ?? [];
  const orders = [...arrived.filter((o) => !listed.some((l) => l.id === o.id)), ...listed];

  async function more() {
    if (!connection?.pageInfo.endCursor) return;
    setLoadingMore(true);
    try {
      await fetchMore({ variables: { after: connection.pageInfo.endCursor } });
    } catch (e) {
      setActionError(e);
    } finally {
      setLoadingMore(false);
    }
  }

  return (
    <section aria-labelledby="orders-title">
      <h1 id="orders-title">My orders</h1>
      {session && (
        <p className="hint">
          {session.user.name} · {session.user.email} · account id <code>{session.user.id}</code>
        </p>
      )}
      {loading && !data && <Loading what="your orders" />}
      <LiveNotice state={live} />
      <ErrorMessage error={error} />
      <ErrorMessage error={actionError} />
      {data && orders.length === 0 && <p className="hint">No orders yet. Pick something from the menu.</p>}
      <div className="orders">
        {orders.map((order) => (
          <OrderCard key={order.id} order={order}>
            {order.status === 'PLACED' && (
              <button
                type="button"
                onClick={() => {
                  setActionError(null);
                  cancelOrder({ variables: { id: order.id } }).catch(setActionError);
                }}
              >
                Cancel order
              </button>
            )}
          </OrderCard>
        ))}
      </div>
      {connection?.pageInfo.hasNextPage && (
        <button type="button" onClick={more} disabled={loadingMore} aria-busy={loadingMore}>
          Show older orders
        </button>
      )}
    </section>
  );
}
