import type { BaseContext } from '@apollo/server';
import type { Logger, Viewer } from '@brigade/platform';
import type { SubscriptionSlot } from './subscriptions/index.js';

/** Per-request state of the gateway, handed to plugins and data sources. */
export interface GatewayContext extends BaseContext {
  readonly viewer: Viewer;
  readonly requestId: string;
  readonly logger: Logger;
  readonly traceparent?: string;
  /** The client's address, for per-IP limits. */
  readonly clientIp: string;
  /** The HTTP response this operation answers, so the access log knows it was logged (see observability). */
  readonly httpResponse?: object;
  /** Present on a streaming request: where the pipeline records an admitted subscription. */
  readonly subscription?: SubscriptionSlot;
}
