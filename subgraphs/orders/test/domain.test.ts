import { BadUserInputError } from '@brigade/platform/problems';
import { describe, expect, it } from 'vitest';
import { InvalidCursorError, decodeCursor, encodeCursor } from '../src/domain/cursor.js';
import { MAX_AMOUNT_CENTS, normaliseLines, orderTotal, summarise } from '../src/domain/order.js';
import { VISIBLE_STATUSES, cancelDecision, isVisible, nextStatus, type OrderStatus } from '../src/domain/status.js';

const ID = '3b241101-e2bb-4255-8caf-4136c566a962';

describe('order domain', () => {
  it('when lines repeat an item, then they merge, keeping first-seen order', () => {
    expect(
      normaliseLines([
        { menuItemId: 'a', quantity: 1 },
        { menuItemId: 'b', quantity: 2 },
        { menuItemId: 'a', quantity: 3 },
      ]),
    ).toEqual([
      { menuItemId: 'a', quantity: 4 },
      { menuItemId: 'b', quantity: 2 },
    ]);
  });

  it('when input is out of bounds, then it names the field', () => {
    const field = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error instanceof BadUserInputError ? error.field : 'other';
      }
      return 'none';
    };
    expect(field(() => normaliseLines([]))).toBe('lines');
    expect(field(() => normaliseLines([{ menuItemId: 'a', quantity: 1.5 }]))).toBe('lines.0.quantity');
    expect(field(() => normaliseLines([{ menuItemId: 'a', quantity: 1 }], ''))).toBe('idempotencyKey');
    expect(field(() => normaliseLines([{ menuItemId: 'a', quantity: 50 }], 'k'.repeat(200)))).toBe('none');
  });

  it('when a total or a line subtotal would not fit a 32-bit amount, then the order is refused naming lines', () => {
    const refusal = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error instanceof BadUserInputError ? error.field : 'other';
      }
      return 'none';
    };
    const line = (quantity: number, unitPriceCents: number) => ({ quantity, unitPriceCents });
    expect(refusal(() => orderTotal(Array.from({ length: 50 }, () => line(50, 1_000_000))))).toBe('lines');
    expect(refusal(() => orderTotal([line(50, 50_000_000)]))).toBe('lines');
    expect(refusal(() => orderTotal([line(1, MAX_AMOUNT_CENTS), line(1, 1)]))).toBe('lines');
    expect(orderTotal([line(1, MAX_AMOUNT_CENTS - 1), line(1, 1)])).toBe(MAX_AMOUNT_CENTS);
    expect(orderTotal([line(2, 300), line(1, 1400)])).toBe(2000);
  });

  it('when reasons mix, then the most severe one leads', () => {
    const r = summarise([
      { menuItemId: 'a', reason: 'OUT_OF_STOCK', available: 1 },
      { menuItemId: 'b', reason: 'STATION_UNAVAILABLE', available: null },
    ]);
    expect(r.reason).toBe('STATION_UNAVAILABLE');
    expect(r.message).toMatch(/unavailable.*out of stock/);
  });

  it('when a cursor round-trips, then it decodes to the same position; any tampering is refused', () => {
    expect(decodeCursor(encodeCursor({ createdAtMs: 1_700_000_000_123, id: ID }))).toEqual({ createdAtMs: 1_700_000_000_123, id: ID });
    for (const bad of [
      '',
      'a b',
      Buffer.from(`o1:12:${ID}x`).toString('base64url'),
      Buffer.from(`o2:12:${ID}`).toString('base64url'),
      'x'.repeat(300),
    ]) {
      expect(() => decodeCursor(bad)).toThrow(InvalidCursorError);
    }
  });

  it('when statuses advance, then only the next step exists and internal statuses stay hidden', () => {
    expect(VISIBLE_STATUSES.every(isVisible)).toBe(true);
    expect(isVisible('PENDING') || isVisible('REJECTED')).toBe(false);
    const chain: OrderStatus[] = [];
    for (let s: OrderStatus | undefined = 'PLACED'; s; s = nextStatus(s)) chain.push(s);
    expect(chain).toEqual(['PLACED', 'PREPARING', 'READY', 'SERVED']);
  });

  it('when someone cancels, then owners may only while PLACED and staff until SERVED', () => {
    expect(cancelDecision('PLACED', { isOwner: true, isStaff: false })).toEqual({ kind: 'allowed', from: ['PLACED'] });
    expect(cancelDecision('PREPARING', { isOwner: true, isStaff: false }).kind).toBe('invalid');
    expect(cancelDecision('READY', { isOwner: false, isStaff: true }).kind).toBe('allowed');
    expect(cancelDecision('PLACED', { isOwner: false, isStaff: false }).kind).toBe('forbidden');
    expect(cancelDecision('SERVED', { isOwner: false, isStaff: true }).kind).toBe('invalid');
    expect(cancelDecision('CANCELLED', { isOwner: true, isStaff: false, cancelledIt: true })).toEqual({ kind: 'done' });
    expect(cancelDecision('CANCELLED', { isOwner: true, isStaff: false, cancelledIt: false }).kind).toBe('invalid');
    expect(cancelDecision('CANCELLED', { isOwner: false, isStaff: true, cancelledIt: false }).kind).toBe('invalid');
  });
});
