import type { SessionFragment, ViewerFragment } from '../graphql/generated.js';
import { UnreachableCaseError } from '../unreachable.js';

/** What the app keeps of a sign-in: the token pair, when the access token expires, and who it is. */
export interface Session {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Epoch milliseconds at which the access token expires. */
  readonly expiresAt: number;
  /** Its lifetime when issued, in milliseconds (to refresh a fixed share of it ahead of expiry). */
  readonly ttlMs: number;
  readonly user: ViewerFragment;
}

/** Why a session ended: the user asked, or the API refused to renew it (expired, revoked or reused). */
export type SignOutReason = 'signed-out' | 'expired';

export type RefreshOutcome =
  | { readonly kind: 'renewed'; readonly payload: SessionFragment }
  /** The API refused the refresh token (expired, revoked, or a reused one that revoked its family). */
  | { readonly kind: 'refused' }
  /** The API could not be reached: keep the session and try again later. */
  | { readonly kind: 'unreachable' };

/** The part of `localStorage` the store uses. */
export interface SessionStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface SessionStoreOptions {
  /** Exchanges a refresh token for a new pair (the RefreshToken mutation). */
  readonly refresh: (refreshToken: string) => Promise<RefreshOutcome>;
  /** Where the session survives a reload; shared by the tabs of one browser. Default: none. */
  readonly storage?: SessionStorageLike | undefined;
  /** Runs `task` while no other tab of this browser runs one under the same name (Web Locks); default: direct. */
  readonly exclusive?: <T>(task: () => Promise<T>) => Promise<T>;
  readonly now?: () => number;
  readonly setTimer?: (callback: () => void, ms: number) => unknown;
  readonly clearTimer?: (handle: unknown) => void;
}

export type SessionListener = (session: Session | null, reason?: SignOutReason) => void;

const STORAGE_KEY = 'brigade.session';
/** Retry an unreachable refresh after this long. */
const RETRY_MS = 5_000;

export function sessionFromPayload(payload: SessionFragment, now: number): Session {
  const ttlMs = Math.max(1, payload.expiresIn) * 1_000;
  return {
    accessToken: payload.accessToken,
    refreshToken: payload.refreshToken,
    expiresAt: now + ttlMs,
    ttlMs,
    user: payload.user,
  };
}

/**
 * How long before expiry the access token is renewed: a quarter of its lifetime, at most a minute — so a
 * 15-minute token is renewed a minute early and a 4-second one a second early, always before the API
 * would refuse it.
 */
export function refreshLeadMs(ttlMs: number): number {
  return Math.min(60_000, Math.floor(ttlMs / 4));
}

/**
 * The signed-in session: keeps the token pair, renews the access token before it expires (rotating the
 * refresh token as the API requires), and ends the session when the API refuses a renewal — which is what
 * happens when a refresh token is used twice. One renewal at a time, across the tabs of a browser: a tab
 * that finds the stored pair already rotated by another tab adopts it instead of spending the old one.
 */
export class SessionStore {
  private session: Session | null;
  private ended: SignOutReason | null = null;
  private readonly listeners = new Set<SessionListener>();
  private inFlight: Promise<Session | null> | null = null;
  private timer: unknown = null;
  private readonly now: () => number;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: SessionStoreOptions) {
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
    this.session = this.readStored();
    this.schedule();
  }

  get current(): Session | null {
    return this.session;
  }

  /** Why the last session ended, while nobody is signed in. */
  get endedBecause(): SignOutReason | null {
    return this.ended;
  }

  subscribe(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts a session from a sign-up, sign-in or refresh answer. */
  start(payload: SessionFragment): Session {
    const session = sessionFromPayload(payload, this.now());
    this.set(session);
    return session;
  }

  /** Ends the session locally (the caller revokes the refresh token with the API). */
  end(reason: SignOutReason = 'signed-out'): void {
    this.set(null, reason);
  }

  /** An access token that is not about to expire, renewing it first when it is; null when signed out. */
  async accessToken(): Promise<string | null> {
    const session = this.session;
    if (!session) return null;
    if (session.expiresAt - this.now() > refreshLeadMs(session.ttlMs) / 2) return session.accessToken;
    const renewed = await this.refresh();
    return renewed?.accessToken ?? null;
  }

  /** Renews the access token now (one renewal at a time); resolves to the session after it. */
  refresh(): Promise<Session | null> {
    this.inFlight ??= this.runRefresh().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Another tab changed the stored session: follow it. */
  adoptStored(): void {
    const stored = this.readStored();
    if (stored?.refreshToken === this.session?.refreshToken) return;
    this.set(stored, stored ? undefined : 'signed-out', false);
  }

  private async runRefresh(): Promise<Session | null> {
    const exclusive = this.options.exclusive ?? ((task) => task());
    return exclusive(async () => {
      const before = this.session;
      if (!before) return null;
      // Another tab may have rotated the pair while this one waited for the lock: the stored pair is the live one.
      const stored = this.readStored();
      if (stored && stored.refreshToken !== before.refreshToken) {
        this.set(stored, undefined, false);
        if (stored.expiresAt - this.now() > refreshLeadMs(stored.ttlMs)) return stored;
      }
      const current = this.session;
      if (!current) return null;
      const outcome = await this.options.refresh(current.refreshToken);
      switch (outcome.kind) {
        case 'renewed':
          return this.start(outcome.payload);
        case 'refused':
          this.set(null, 'expired');
          return null;
        case 'unreachable':
          this.timer = this.setTimer(() => void this.refresh(), RETRY_MS);
          return current.expiresAt > this.now() ? current : null;
        default:
          throw new UnreachableCaseError(outcome);
      }
    });
  }

  private set(session: Session | null, reason?: SignOutReason, persist = true): void {
    this.session = session;
    this.ended = session ? null : (reason ?? null);
    if (persist) this.writeStored(session);
    this.schedule();
    for (const listener of this.listeners) listener(session, session ? undefined : reason);
  }

  private schedule(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    const session = this.session;
    if (!session) return;
    const delay = Math.max(0, session.expiresAt - refreshLeadMs(session.ttlMs) - this.now());
    this.timer = this.setTimer(() => void this.refresh(), delay);
  }

  private readStored(): Session | null {
    const text = this.options.storage?.getItem(STORAGE_KEY);
    if (!text) return null;
    try {
      const value = JSON.parse(text) as Partial<Session>;
      if (typeof value.accessToken !== 'string' || typeof value.refreshToken !== 'string') return null;
      if (typeof value.expiresAt !== 'number' || typeof value.ttlMs !== 'number' || !value.user) return null;
      return value as Session;
    } catch {
      return null;
    }
  }

  private writeStored(session: Session | null): void {
    if (!this.options.storage) return;
    if (session) this.options.storage.setItem(STORAGE_KEY, JSON.stringify(session));
    else this.options.storage.removeItem(STORAGE_KEY);
  }
}

export const SESSION_STORAGE_KEY = STORAGE_KEY;
