-- OrderLine.name is served from orders' own rows (so a line reads while menu is down): every line has one.
-- The saga has always stored the menu's name; a line without one could only predate that, and is named
-- by its item id rather than left unreadable.
UPDATE order_lines SET name = 'Item ' || menu_item_id WHERE name IS NULL;
ALTER TABLE order_lines ALTER COLUMN name SET NOT NULL;
