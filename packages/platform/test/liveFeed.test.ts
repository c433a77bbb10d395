import { describe, expect, it } from 'vitest';
import { createLogger, LIVE_QUEUE_LIMIT, LiveFeed, LiveOverflowError, type Database } from '../src/index.js';

/** A database whose NOTIFYs the test sends by hand. */
function fakeDatabase() {
  const handlers = new Map<string, Set<(payload: string) => void>>();
  const db = {
    async listen(topic: string, onPayload: (payload: string) => void) {
      const set = handlers.get(topic) ?? new Set();
      handlers.set(topic, set);
      set.add(onPayload);
      return async () => void set.delete(onPayload);
    },
  } as unknown as Database;
  const notify = (topic: string, payload: unknown) => {
    for (const handler of handlers.get(topic) ?? []) handler(JSON.stringify(payload));
  };
  return { db, notify, listeners: (topic: string) => handlers.get(topic)?.size ?? 0 };
}

const logger = createLogger('test', { level: 'silent' });
type Event = { id: string; version: number };

describe('LiveFeed', () => {
  it('when subscribers filter, then each gets its own events in commit order', async () => {
    const { db, notify } = fakeDatabase();
    const feed = await LiveFeed.open<Event>(db, 'changed', (p) => JSON.parse(p) as Event, logger);
    const a = feed.subscribe({ filter: (e) => e.id === 'a' });
    const all = feed.subscribe();
    notify('changed', { id: 'b', version: 1 });
    notify('changed', { id: 'a', version: 1 });
    notify('changed', { id: 'a', version: 2 });
    expect((await a.next()).value).toEqual({ id: 'a', version: 1 });
    expect((await a.next()).value).toEqual({ id: 'a', version: 2 });
    expect((await all.next()).value).toEqual({ id: 'b', version: 1 });
    await feed.close();
  });

  it('when a first value is loaded, then it comes before any event, and accept drops what is not newer', async () => {
    const { db, notify } = fakeDatabase();
    const feed = await LiveFeed.open<Event>(db, 'changed', (p) => JSON.parse(p) as Event, logger);
    let release!: (e: Event) => void;
    let last = 0;
    const stream = feed.subscribe({
      first: () => new Promise<Event>((resolve) => (release = resolve)),
      accept: (e) => (e.version > last ? ((last = e.version), true) : false),
    });
    notify('changed', { id: 'a', version: 2 });
    notify('changed', { id: 'a', version: 3 });
    release({ id: 'a', version: 2 });
    expect((await stream.next()).value).toEqual({ id: 'a', version: 2 });
    expect((await stream.next()).value).toEqual({ id: 'a', version: 3 });
    await feed.close();
  });

  it('when a subscriber returns, then it is unsubscribed at once, even while waiting', async () => {
    const { db } = fakeDatabase();
    const feed = await LiveFeed.open<Event>(db, 'changed', (p) => JSON.parse(p) as Event, logger);
    const stream = feed.subscribe();
    const pending = stream.next();
    expect(feed.size).toBe(1);
    await stream.return!();
    expect(feed.size).toBe(0);
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it('when a subscriber falls more than the queue limit behind, then it ends with an overflow error', async () => {
    const { db, notify } = fakeDatabase();
    const feed = await LiveFeed.open<Event>(db, 'changed', (p) => JSON.parse(p) as Event, logger);
    const stream = feed.subscribe();
    for (let i = 0; i <= LIVE_QUEUE_LIMIT; i++) notify('changed', { id: 'a', version: i + 1 });
    expect(feed.size).toBe(0);
    await expect(stream.next()).rejects.toBeInstanceOf(LiveOverflowError);
    await feed.close();
  });

  it('when the feed closes, then it stops listening', async () => {
    const { db, listeners } = fakeDatabase();
    const feed = await LiveFeed.open<Event>(db, 'changed', (p) => JSON.parse(p) as Event, logger);
    expect(listeners('changed')).toBe(1);
    await feed.close();
    expect(listeners('changed')).toBe(0);
  });
});
