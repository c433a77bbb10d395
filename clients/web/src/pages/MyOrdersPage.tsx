import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { ErrorMessage, Loading } from '../components/feedback.js';
import { OrderCard } from '../components/OrderCard.js';
import { CancelOrderDocument, MeWithOrdersDocument } from '../graphql/generated.js';
import { useSession } from '../state.js';

const PAGE_SIZE = 10;

export function MyOrdersPage() {
  const { session } = useSession();
  const { data, loading, error, fetchMore } = useQuery(MeWithOrdersDocument, {
    variables: { first: PAGE_SIZE },
    notifyOnNetworkStatusChange: true,
  });
  const [cancelOrder] = useMutation(CancelOrderDocument);
  const [actionError, setActionError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const connection = data?.myOrders;
  const orders = connection?.edges.map((edge) => edge.node) ?? [];

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
