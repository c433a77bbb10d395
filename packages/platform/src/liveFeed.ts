import { ErrorCode } from './errors.js';
import type { Database } from './db/database.js';
import type { Logger } from './logger.js';

/** Events one subscriber may have waiting before it is cut off (a subscriber that cannot keep up). */
export const LIVE_QUEUE_LIMIT = 256;

/** Ends a subscriber whose queue overflowed: it missed events, so it must re-subscribe to catch up. */
export class LiveOverflowError extends Error {
  readonly code = ErrorCode.SubscriptionOverflow;
  constructor() {
    super(`More than ${LIVE_QUEUE_LIMIT} events waited for this subscriber; re-subscribe to catch up.`);
  }
}

export interface LiveSubscribeOptions<T> {
  /** Only events that pass reach this subscriber (checked as they arrive: keep it cheap). */
  filter?: (event: T) => boolean;
  /**
   * Checked in delivery order, after `first`: may keep state, e.g. drop what is not newer than the last
   * delivered version.
   */
  accept?: (event: T) => boolean;
  /**
   * Loaded once the subscriber is registered (so no commit between the read and the subscription is
   * missed) and delivered before any event: the current state, for "first event = now" subscriptions.
   */
  first?: () => Promise<T | undefined>;
}

/**
 * In-process fan-out of one database notification topic to many subscribers. Events come from NOTIFYs
 * sent by the service's own triggers, so each follows its transaction's commit (never a rolled-back
 * change) and all arrive in commit order. Each subscriber is an AsyncIterator with a bounded queue whose
 * `return()` unsubscribes at once (an async generator would wait for its pending `await`).
 */
export class LiveFeed<T> {
  private readonly subscribers = new Set<Subscriber<T>>();
  private stopListening?: () => Promise<void>;

  private constructor(private readonly logger: Logger) {}

  static async open<T>(db: Database, topic: string, parse: (payload: string) => T, logger: Logger): Promise<LiveFeed<T>> {
    const feed = new LiveFeed<T>(logger);
    feed.stopListening = await db.listen(topic, (payload) => feed.publish(payload, parse));
    return feed;
  }

  get size(): number {
    return this.subscribers.size;
  }

  subscribe(options: LiveSubscribeOptions<T> = {}): AsyncIterableIterator<T> {
    const subscriber = new Subscriber<T>(options, () => this.subscribers.delete(subscriber));
    this.subscribers.add(subscriber);
    if (options.first) subscriber.prepend(options.first);
    return subscriber;
  }

  /** Ends every subscriber (shutdown) and stops listening. */
  async close(): Promise<void> {
    for (const subscriber of [...this.subscribers]) void subscriber.return();
    await this.stopListening?.();
  }

  private publish(payload: string, parse: (payload: string) => T): void {
    let event: T;
    try {
      event = parse(payload);
    } catch (error) {
      this.logger.warn({ err: error }, 'unreadable change notification dropped');
      return;
    }
    for (const subscriber of this.subscribers) subscriber.push(event);
  }
}

class Subscriber<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting?: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void };
  private done = false;
  private failure?: unknown;
  /** Events held back until the first value is loaded, so it is delivered first. */
  private held?: T[];

  private readonly filter?: (event: T) => boolean;
  private readonly accept?: (event: T) => boolean;

  constructor(
    options: LiveSubscribeOptions<T>,
    private readonly unsubscribe: () => void,
  ) {
    this.filter = options.filter;
    this.accept = options.accept;
  }

  prepend(load: () => Promise<T | undefined>): void {
    this.held = [];
    load().then(
      (value) => {
        const held = this.held ?? [];
        this.held = undefined;
        if (value !== undefined) this.deliver(value);
        for (const event of held) this.deliver(event);
      },
      (error: unknown) => this.fail(error),
    );
  }

  push(event: T): void {
    if (this.done) return;
    try {
      if (this.filter && !this.filter(event)) return;
    } catch (error) {
      return this.fail(error);
    }
    if (this.held) {
      if (this.held.length >= LIVE_QUEUE_LIMIT) return this.fail(new LiveOverflowError());
      this.held.push(event);
      return;
    }
    this.deliver(event);
  }

  private deliver(event: T): void {
    if (this.done) return;
    try {
      if (this.accept && !this.accept(event)) return;
    } catch (error) {
      return this.fail(error);
    }
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      return resolve({ value: event, done: false });
    }
    if (this.queue.length >= LIVE_QUEUE_LIMIT) return this.fail(new LiveOverflowError());
    this.queue.push(event);
  }

  private fail(error: unknown): void {
    if (this.done) return;
    this.failure = error;
    // Whatever waited is incomplete now: the subscriber learns at once, and re-subscribes.
    this.queue.length = 0;
    this.finish();
  }

  private finish(): void {
    this.done = true;
    this.held = undefined;
    this.unsubscribe();
    if (this.waiting) {
      const { resolve, reject } = this.waiting;
      this.waiting = undefined;
      if (this.failure !== undefined && this.queue.length === 0) reject(this.takeFailure());
      else resolve({ value: undefined, done: true });
    }
  }

  private takeFailure(): unknown {
    const failure = this.failure;
    this.failure = undefined;
    return failure;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.done) {
      return this.failure !== undefined ? Promise.reject(this.takeFailure()) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.queue.length = 0;
    this.failure = undefined;
    if (!this.done) this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
