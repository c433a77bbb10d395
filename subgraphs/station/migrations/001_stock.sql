CREATE TABLE stock (
  item_id    text PRIMARY KEY,
  quantity   integer NOT NULL CHECK (quantity >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per order that ever reached this station. A RELEASED row without lines is a tombstone: it
-- makes a reservation that arrives after its release (the saga gave up on it) refused.
CREATE TABLE reservations (
  order_id   text PRIMARY KEY,
  status     text NOT NULL CHECK (status IN ('HELD', 'CONFIRMED', 'RELEASED')),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The sweeper's scan: only reservations still held.
CREATE INDEX reservations_held_expiry ON reservations (expires_at) WHERE status = 'HELD';

CREATE TABLE reservation_lines (
  order_id text NOT NULL REFERENCES reservations (order_id),
  item_id  text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, item_id)
);

-- One row per seed ever applied, so a station whose stock was sold out is never re-seeded.
CREATE TABLE seeds (
  name       text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
);
