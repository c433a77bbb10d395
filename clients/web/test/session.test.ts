import { describe, expect, it } from 'vitest';
import { refreshLeadMs, SessionStore, type RefreshOutcome } from '../src/api/session.js';
import type { SessionFragment } from '../src/graphql/generated.js';

const user = { __typename: 'User' as const, id: 'u1', email: 'ada@example.test', name: 'Ada', roles: ['CUSTOMER' as const] };
const payload = (n: number, expiresIn = 900): SessionFragment => ({
  __typename: 'AuthPayload',
  accessToken: `access-${n}`,
  refreshToken: `refresh-${n}`,
  tokenType: 'Bearer',
  expiresIn,
  user,
});

/** A clock and timers the test moves by hand. */
function fakeTime() {
  let now = 1_000_000;
  let timers: { at: number; run: () => void; id: number }[] = [];
  let next = 0;
  return {
    now: () => now,
    setTimer: (run: () => void, ms: number) => {
      const id = ++next;
      timers.push({ at: now + ms, run, id });
      return id;
    },
    clearTimer: (id: unknown) => {
      timers = timers.filter((t) => t.id !== id);
    },
    async advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.run();
      await new Promise((r) => setTimeout(r, 0));
    },
  };
}

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
    map,
  };
}

describe('SessionStore', () => {
  it('when three quarters of a short token life have passed, then it renews once with the current refresh token', async () => {
    const time = fakeTime();
    const used: string[] = [];
    const store = new SessionStore({
      ...time,
      refresh: async (token): Promise<RefreshOutcome> => {
        used.push(token);
        return { kind: 'renewed', payload: payload(used.length + 1, 4) };
      },
    });
    store.start(payload(1, 4));
    expect(refreshLeadMs(4_000)).toBe(1_000);
    await time.advance(2_900);
    expect(used).toEqual([]);
    await time.advance(200);
    expect(used).toEqual(['refresh-1']);
    expect(store.current?.accessToken).toBe('access-2');
    await time.advance(3_000);
    expect(used).toEqual(['refresh-1', 'refresh-2']);
  });

  it('when several requests need a token about to expire, then one renewal serves them all', async () => {
    const time = fakeTime();
    let calls = 0;
    const store = new SessionStore({
      ...time,
      refresh: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
        return { kind: 'renewed', payload: payload(2) };
      },
    });
    store.start(payload(1, 60));
    time.clearTimer(1);
    await time.advance(59_000);
    const tokens = await Promise.all([store.accessToken(), store.accessToken(), store.accessToken()]);
    expect(tokens).toEqual(['access-2', 'access-2', 'access-2']);
    expect(calls).toBe(1);
  });

  it('when the API refuses the refresh token (reused, revoked), then the session ends as expired', async () => {
    const time = fakeTime();
    const storage = memoryStorage();
    const store = new SessionStore({ ...time, storage, refresh: async () => ({ kind: 'refused' }) });
    const seen: (string | undefined)[] = [];
    store.subscribe((session, reason) => seen.push(session ? 'session' : reason));
    store.start(payload(1, 8));
    await time.advance(7_000);
    expect(store.current).toBeNull();
    expect(store.endedBecause).toBe('expired');
    expect(storage.map.size).toBe(0);
    expect(seen).toEqual(['session', 'expired']);
  });

  it('when the API cannot be reached, then the session stays and the renewal is tried again', async () => {
    const time = fakeTime();
    const outcomes: RefreshOutcome[] = [{ kind: 'unreachable' }, { kind: 'renewed', payload: payload(2) }];
    const store = new SessionStore({ ...time, refresh: async () => outcomes.shift()! });
    store.start(payload(1, 60));
    await time.advance(45_000);
    expect(store.current?.accessToken).toBe('access-1');
    await time.advance(5_000);
    expect(store.current?.accessToken).toBe('access-2');
  });

  it('when another tab already rotated the pair, then this tab adopts it instead of spending the old refresh token', async () => {
    const time = fakeTime();
    const storage = memoryStorage();
    const used: string[] = [];
    const refresh = async (token: string): Promise<RefreshOutcome> => {
      used.push(token);
      return { kind: 'renewed', payload: payload(used.length + 1, 60) };
    };
    const first = new SessionStore({ ...time, storage, refresh });
    first.start(payload(1, 60));
    const second = new SessionStore({ ...time, storage, refresh });
    await first.refresh();
    expect(used).toEqual(['refresh-1']);
    const renewed = await second.refresh();
    expect(used).toEqual(['refresh-1']);
    expect(renewed?.refreshToken).toBe('refresh-2');
  });

  it('when signed out, then storage is cleared and no token is handed out', async () => {
    const storage = memoryStorage();
    const store = new SessionStore({ storage, refresh: async () => ({ kind: 'refused' }) });
    store.start(payload(1));
    expect(storage.map.size).toBe(1);
    expect(new SessionStore({ storage, refresh: async () => ({ kind: 'refused' }) }).current?.user.name).toBe('Ada');
    store.end();
    expect(await store.accessToken()).toBeNull();
    expect(storage.map.size).toBe(0);
    expect(store.endedBecause).toBe('signed-out');
  });
});
