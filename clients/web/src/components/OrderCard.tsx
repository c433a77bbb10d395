import type { ReactNode } from 'react';
import { formatMoney, formatTime, orderRef } from '../format.js';
import type { OrderCardFragment, Station } from '../graphql/generated.js';
import { StatusBadge } from './feedback.js';

/** One order: its reference, status (as the API's enum value), lines and total; actions below. */
export function OrderCard({
  order,
  customer,
  highlight,
  children,
}: {
  order: OrderCardFragment;
  customer?: string;
  /** On a station's board: that station's lines stand out. */
  highlight?: Station | null;
  children?: ReactNode;
}) {
  const title = `Order ${orderRef(order.id)}`;
  return (
    <article className="order card" aria-label={title} data-order-id={order.id}>
      <header className="order-head">
        <h3>{title}</h3>
        <StatusBadge status={order.status} />
      </header>
      <p className="meta">
        {customer ? `${customer} · ` : ''}
        <time dateTime={order.createdAt}>{formatTime(order.createdAt)}</time>
      </p>
      <ul className="order-lines">
        {order.lines.map((line, index) => (
          <li key={index} className={highlight && line.menuItem?.station === highlight ? 'mine' : undefined}>
            {line.quantity} × {line.name} <span className="muted">{formatMoney(line.subtotal)}</span>
          </li>
        ))}
      </ul>
      <p className="total">Total {formatMoney(order.total)}</p>
      {children && <div className="actions">{children}</div>}
    </article>
  );
}
