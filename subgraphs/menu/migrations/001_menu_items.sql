CREATE TABLE menu_items (
  id          text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  description text CHECK (char_length(description) <= 500),
  price_cents integer NOT NULL CHECK (price_cents > 0),
  currency    text NOT NULL DEFAULT 'USD',
  category    text NOT NULL CHECK (category IN ('DRINK', 'MEAL', 'DESSERT')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX menu_items_category_name ON menu_items (category, name, id);

-- One row per seed ever applied, so deleting every item never brings the seed back.
CREATE TABLE seeds (
  name       text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
);
