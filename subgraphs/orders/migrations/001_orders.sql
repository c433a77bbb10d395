-- Orders and their lines. An order is written PENDING before any stock is touched (the saga's durable
-- intent), so a crash at any point leaves a row the recovery sweeper can finish.
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  customer_id text NOT NULL,
  status text NOT NULL
    CHECK (status IN ('PENDING', 'PLACED', 'PREPARING', 'READY', 'SERVED', 'CANCELLED', 'REJECTED')),
  idempotency_key text,
  total_cents integer NOT NULL CHECK (total_cents >= 0),
  currency text NOT NULL,
  -- Why a REJECTED order was refused: { reason, message, lines }, replayed to a repeated idempotency key.
  rejection jsonb,
  -- Set once every station has taken back what this order held (after a rejection or a cancellation);
  -- NULL on a REJECTED/CANCELLED order means the sweeper still owes the stations a release.
  stock_returned_at timestamptz,
  -- Millisecond precision so opaque cursors (which carry epoch milliseconds) compare exactly.
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- NULL keys never conflict, so orders without a key are not deduplicated.
  UNIQUE (customer_id, idempotency_key)
);

CREATE TABLE order_lines (
  order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  position integer NOT NULL,
  menu_item_id text NOT NULL,
  station text NOT NULL,
  quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 50),
  unit_price_cents integer NOT NULL CHECK (unit_price_cents >= 0),
  currency text NOT NULL,
  name text,
  PRIMARY KEY (order_id, position)
);

-- Keyset pagination: a customer's orders newest first; staff by status; staff across all statuses.
CREATE INDEX orders_customer_page ON orders (customer_id, created_at DESC, id DESC);
CREATE INDEX orders_status_page ON orders (status, created_at DESC, id DESC);
CREATE INDEX orders_page ON orders (created_at DESC, id DESC);
-- The sweeper's work lists stay small: unfinished sagas and releases still owed.
CREATE INDEX orders_pending ON orders (updated_at) WHERE status = 'PENDING';
CREATE INDEX orders_release_owed ON orders (updated_at)
  WHERE status IN ('REJECTED', 'CANCELLED') AND stock_returned_at IS NULL;
