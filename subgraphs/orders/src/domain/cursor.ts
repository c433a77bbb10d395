import { BadUserInputError } from '@brigade/platform/problems';

/** Where a page ends: opaque to clients, validated strictly when it comes back. */
export interface Cursor {
  readonly createdAtMs: number;
  readonly id: string;
}

export class InvalidCursorError extends BadUserInputError {
  constructor() {
    super('after is not a valid cursor.', 'after');
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`o1:${cursor.createdAtMs}:${cursor.id}`, 'utf8').toString('base64url');
}

/**
 * A cursor only says where to resume, never whose orders: every query filters by the viewer, so a
 * forged cursor can at worst skip around the viewer's own list.
 */
export function decodeCursor(raw: string): Cursor {
  if (raw.length > 200 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw new InvalidCursorError();
  const match = /^o1:(\d{1,15}):(.+)$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!match || !UUID.test(match[2]!)) throw new InvalidCursorError();
  const createdAtMs = Number(match[1]);
  if (!Number.isSafeInteger(createdAtMs) || createdAtMs > 8.64e15) throw new InvalidCursorError();
  return { createdAtMs, id: match[2]! };
}

export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 100;
