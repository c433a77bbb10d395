-- Who cancelled an order: a repeated cancel by that caller answers the order (CANCELLED) instead of an
-- error, so a client whose cancel was applied but whose answer was lost can tell it succeeded.
ALTER TABLE orders ADD COLUMN cancelled_by text;
-- (A keyed placeOrder now claims its key before any other work by inserting its order PENDING without
-- lines, total 0 and currency '' until the menu has priced it; the existing columns allow that.)
