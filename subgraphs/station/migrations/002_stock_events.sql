-- Live stock. Every change of an item's stock (a reservation, a release or cancellation, an expiry, a
-- restock, a new item) is announced with NOTIFY, which PostgreSQL delivers only once the transaction
-- commits, in commit order, to every replica of the station listening on the channel.
CREATE FUNCTION stock_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.quantity = OLD.quantity THEN RETURN NULL; END IF;
  PERFORM pg_notify(TG_TABLE_SCHEMA || '_stock_changed',
    json_build_object('id', NEW.item_id, 'stock', NEW.quantity)::text);
  RETURN NULL;
END $$;

CREATE TRIGGER stock_changed AFTER INSERT OR UPDATE ON stock
  FOR EACH ROW EXECUTE FUNCTION stock_notify_change();
