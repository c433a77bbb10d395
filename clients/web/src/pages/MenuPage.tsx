import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { describeError } from '../api/errors.js';
import { ErrorMessage, Loading } from '../components/feedback.js';
import { formatMoney, orderRef } from '../format.js';
import {
  MeWithOrdersDocument,
  MenuDocument,
  PlaceOrderDocument,
  type Category,
  type MenuItemCardFragment,
  type PlaceOrderMutation,
  type RejectionReason,
  type Station,
} from '../graphql/generated.js';
import { LiveNotice, useLiveStock } from '../live.js';
import { useCart, useSession, type CartLine } from '../state.js';
import { UnreachableCaseError } from '../unreachable.js';

const CATEGORIES: { category: Category; title: string }[] = [
  { category: 'DRINK', title: 'Drinks' },
  { category: 'MEAL', title: 'Meals' },
  { category: 'DESSERT', title: 'Desserts' },
];

export function MenuPage() {
  const { data, loading, error, refetch } = useQuery(MenuDocument);
  const live = useLiveStock(() => void refetch().catch(() => undefined));
  const items = data?.menu ?? [];
  return (
    <div className="menu-layout">
      <section aria-labelledby="menu-title">
        <h1 id="menu-title">Menu</h1>
        <LiveNotice state={live} />
        {loading && !data && <Loading what="the menu" />}
        <ErrorMessage error={error} />
        {CATEGORIES.map(({ category, title }) => {
          const inCategory = items.filter((item) => item.category === category);
          if (!inCategory.length) return null;
          return (
            <section key={category} aria-labelledby={`cat-${category}`} className="category">
              <h2 id={`cat-${category}`}>{title}</h2>
              <ul className="items">
                {inCategory.map((item) => (
                  <MenuItemRow key={item.id} item={item} />
                ))}
              </ul>
            </section>
          );
        })}
      </section>
      <CartPanel stations={new Map(items.map((item) => [item.id, item.station]))} />
    </div>
  );
}

function MenuItemRow({ item }: { item: MenuItemCardFragment }) {
  const cart = useCart();
  const soldOut = item.stock <= 0;
  return (
    <li className={`item${soldOut ? ' sold-out' : ''}`} aria-label={item.name}>
      <div className="item-text">
        <h3>{item.name}</h3>
        {item.description && <p className="description">{item.description}</p>}
        <p className="meta">
          <span className="price">{formatMoney(item.price)}</span>
          <span className="stock" aria-live="polite">
            {soldOut ? 'Sold out' : `${item.stock} left`}
          </span>
        </p>
      </div>
      <button type="button" aria-label={`Add ${item.name}`} disabled={soldOut} onClick={() => cart.add(item)}>
        Add
      </button>
    </li>
  );
}

/** 128 random bits as hex: an idempotency key that works outside secure contexts too (no randomUUID there). */
function newIdempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

const STATION_NAMES: Record<Station, string> = { KITCHEN: 'the kitchen', BAR: 'the bar', BAKERY: 'the bakery' };

function rejectionText(reason: RejectionReason, name: string, available: number | null, station: Station | undefined) {
  switch (reason) {
    case 'OUT_OF_STOCK':
      return available ? `${name}: only ${available} left` : `${name}: sold out`;
    case 'UNKNOWN_ITEM':
      return `${name}: no longer on the menu`;
    case 'STATION_UNAVAILABLE':
      return `${name}: ${station ? STATION_NAMES[station] : 'its station'} can't take orders right now`;
    default:
      // A reason newer than this build: shown as the server names it.
      return `${name}: ${String(new UnreachableCaseError(reason).value)}`;
  }
}

type Rejection = Extract<PlaceOrderMutation['placeOrder'], { __typename: 'OrderRejected' }>;
type Placed = Extract<PlaceOrderMutation['placeOrder'], { __typename: 'OrderPlaced' }>['order'];

/** Transport failures are retried with the same idempotency key: the API then returns the first order. */
const ATTEMPTS = 3;

function CartPanel({ stations }: { stations: ReadonlyMap<string, Station> }) {
  const cart = useCart();
  const { session } = useSession();
  const [placeOrder] = useMutation(PlaceOrderDocument, { refetchQueries: [MeWithOrdersDocument] });
  const [placing, setPlacing] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [rejection, setRejection] = useState<{ result: Rejection; lines: readonly CartLine[] } | null>(null);
  const [placed, setPlaced] = useState<Placed | null>(null);
  // One key per cart: kept across retries and double clicks, replaced when the cart changes.
  const key = useRef<string | null>(null);
  const busy = useRef(false);
  useEffect(() => {
    key.current = null;
    if (cart.lines.length) setPlaced(null);
  }, [cart.lines]);

  const total = cart.lines.reduce((sum, line) => sum + line.item.price.amount * line.quantity, 0);
  const currency = cart.lines[0]?.item.price.currency ?? 'USD';

  async function submit() {
    if (busy.current || !cart.lines.length) return;
    busy.current = true;
    setPlacing(true);
    setFailure(null);
    setRejection(null);
    key.current ??= newIdempotencyKey();
    const lines = cart.lines;
    const input = { idempotencyKey: key.current, lines: lines.map((line) => ({ menuItemId: line.item.id, quantity: line.quantity })) };
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const { data } = await placeOrder({ variables: { input } });
          const result = data?.placeOrder;
          if (result?.__typename === 'OrderPlaced') {
            setPlaced(result.order);
            cart.clear();
          } else if (result?.__typename === 'OrderRejected') {
            key.current = null;
            setRejection({ result, lines });
          }
          return;
        } catch (error) {
          const kind = describeError(error).kind;
          if ((kind !== 'offline' && kind !== 'server') || attempt >= ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        }
      }
    } catch (error) {
      setFailure(error);
    } finally {
      busy.current = false;
      setPlacing(false);
    }
  }

  return (
    <aside className={`cart card${cart.lines.length ? ' has-items' : ''}`} aria-labelledby="cart-title">
      <h2 id="cart-title">Your order</h2>
      {placed && (
        <p className="success" role="status">
          Order {orderRef(placed.id)} placed: {formatMoney(placed.total)}. <Link to="/orders">Follow it</Link>
        </p>
      )}
      {cart.lines.length === 0 ? (
        !placed && <p className="hint">Nothing yet: add something from the menu.</p>
      ) : (
        <ul className="cart-lines">
          {cart.lines.map((line) => (
            <li key={line.item.id}>
              <span>
                {line.quantity} × {line.item.name}
              </span>
              <span className="cart-line-actions">
                <button type="button" className="small" aria-label={`One less ${line.item.name}`} onClick={() => cart.remove(line.item.id)}>
                  −
                </button>
                <button type="button" className="small" aria-label={`One more ${line.item.name}`} onClick={() => cart.add(line.item)}>
                  +
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      {cart.lines.length > 0 && <p className="total">Total {formatMoney({ amount: total, currency })}</p>}
      {rejection && (
        <div className="error" role="alert">
          <p>{rejection.result.message}</p>
          <ul>
            {rejection.result.lines.map((line) => {
              const name = rejection.lines.find((l) => l.item.id === line.menuItemId)?.item.name ?? 'An item';
              return <li key={line.menuItemId}>{rejectionText(line.reason, name, line.available, stations.get(line.menuItemId))}</li>;
            })}
          </ul>
        </div>
      )}
      <ErrorMessage error={failure} />
      {session ? (
        <>
          <button type="button" className="primary" disabled={!cart.lines.length || placing} aria-busy={placing} onClick={submit}>
            Place order
          </button>
          {placing && (
            <p className="loading" role="status">
              Placing your order…
            </p>
          )}
        </>
      ) : (
        <p className="hint">
          To place an order,{' '}
          <Link to="/sign-in" state={{ from: '/' }}>
            log in
          </Link>{' '}
          or{' '}
          <Link to="/sign-up" state={{ from: '/' }}>
            create an account
          </Link>
          .
        </p>
      )}
    </aside>
  );
}
