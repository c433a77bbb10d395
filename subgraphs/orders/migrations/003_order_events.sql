-- Live updates. `version` is 1 when an order is placed and grows by one with every later change of status,
-- so a client can drop a stale event. Every change a client can see is announced with NOTIFY from a
-- trigger: PostgreSQL delivers a NOTIFY only when its transaction commits (never for a rolled-back
-- change), in commit order, to every replica listening on the channel — which is what subscriptions need.
ALTER TABLE orders ADD COLUMN version integer NOT NULL DEFAULT 1;

CREATE FUNCTION orders_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- PENDING is the saga's private state: its move to PLACED is the order's first public version.
  IF NEW.status IS DISTINCT FROM OLD.status AND OLD.status <> 'PENDING' THEN
    NEW.version := OLD.version + 1;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER orders_version BEFORE UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_bump_version();

CREATE FUNCTION orders_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IN ('PENDING', 'REJECTED') THEN RETURN NULL; END IF;
  IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN RETURN NULL; END IF;
  PERFORM pg_notify(TG_TABLE_SCHEMA || '_order_changed', json_build_object(
    'id', NEW.id, 'customer_id', NEW.customer_id, 'status', NEW.status, 'version', NEW.version,
    'total_cents', NEW.total_cents, 'currency', NEW.currency,
    'created_at', NEW.created_at, 'updated_at', NEW.updated_at,
    'stations', (SELECT coalesce(json_agg(DISTINCT station), '[]'::json) FROM order_lines WHERE order_id = NEW.id)
  )::text);
  RETURN NULL;
END $$;

-- Deferred to commit time, so the lines written in the same transaction are there to name the stations.
CREATE CONSTRAINT TRIGGER orders_changed AFTER INSERT OR UPDATE ON orders
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION orders_notify_change();
