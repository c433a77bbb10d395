import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import { SetContextLink } from '@apollo/client/link/context';
import { relayStylePagination } from '@apollo/client/utilities';
import { Kind, type ASTNode, type DocumentNode, type print } from 'graphql';
import { from, Observable, switchMap } from 'rxjs';
import { RefreshTokenDocument, type SessionFragment } from '../graphql/generated.js';
import type { DeviceKeyStore } from './deviceKey.js';
import type { RefreshOutcome, SessionStore } from './session.js';

/** Operations that never carry the access token: they create or end the session themselves. */
const SESSIONLESS = new Set(['SignUp', 'LogIn', 'RefreshToken', 'LogOut']);

/**
 * Operations in a fixed order — the operation, then its fragments by name — exactly as the persisted query
 * manifest records them, so the text the app sends hashes to the manifest's entry (the production safelist).
 */
export function sortTopLevelDefinitions(document: DocumentNode): DocumentNode {
  const definitions = [...document.definitions].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind > b.kind ? -1 : 1;
    const name = (d: typeof a) => ('name' in d && d.name ? d.name.value : '');
    return name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0;
  });
  return { ...document, definitions };
}

export function printOperation(node: ASTNode, originalPrint: typeof print): string {
  return originalPrint(node.kind === Kind.DOCUMENT ? sortTopLevelDefinitions(node) : node);
}

export function createCache(): InMemoryCache {
  return new InMemoryCache({
    possibleTypes: { MenuItem: ['Drink', 'Dish', 'Pastry'], PlaceOrderResult: ['OrderPlaced', 'OrderRejected'] },
    typePolicies: {
      Query: {
        fields: {
          myOrders: relayStylePagination(),
          orders: relayStylePagination(['status']),
        },
      },
      // Values without an id: a newer copy replaces the older one whole.
      Money: { merge: true },
    },
  });
}

export interface ClientOptions {
  readonly graphqlUrl: string;
  readonly session: SessionStore;
  /** A device's API key, sent as `X-API-Key` while nobody is signed in. */
  readonly deviceKey?: DeviceKeyStore;
  /** Replaces the HTTP transport (the manifest generator captures operations with it). */
  readonly transport?: ApolloLink;
}

/**
 * Adds the access token (renewed first when it is about to expire) to every operation that needs one, or,
 * on a device running with an API key, the key — never both, which the API refuses.
 */
function authLink(session: SessionStore, deviceKey?: DeviceKeyStore): ApolloLink {
  return new SetContextLink(async (context, operation) => {
    if (SESSIONLESS.has(operation.operationName ?? '')) return {};
    const token = await session.accessToken();
    if (token) return { headers: { ...context.headers, authorization: `Bearer ${token}` } };
    const key = deviceKey?.current;
    return key ? { headers: { ...context.headers, 'x-api-key': key } } : {};
  });
}

/**
 * A 401 means the access token was refused (expired while the request travelled, or the keys rotated):
 * renew it once and send the operation again; if the renewal is refused the session ends and the
 * operation goes again without a token, so public data still shows.
 */
function renewOnUnauthorized(session: SessionStore): ApolloLink {
  return new ApolloLink((operation, forward) => {
    if (SESSIONLESS.has(operation.operationName ?? '') || !session.current) return forward(operation);
    return new Observable<ApolloLink.Result>((observer) => {
      let retried = false;
      let inner = forward(operation).subscribe({
        next: (value) => observer.next(value),
        complete: () => observer.complete(),
        error: (error: unknown) => {
          if (retried || !ServerError.is(error) || error.statusCode !== 401) return observer.error(error);
          retried = true;
          inner = from(session.refresh())
            .pipe(switchMap(() => forward(operation)))
            .subscribe(observer);
        },
      });
      return () => inner.unsubscribe();
    });
  });
}

export function createApolloClient(options: ClientOptions): ApolloClient {
  const transport = options.transport ?? new HttpLink({ uri: options.graphqlUrl, print: printOperation });
  return new ApolloClient({
    cache: createCache(),
    link: ApolloLink.from([renewOnUnauthorized(options.session), authLink(options.session, options.deviceKey), transport]),
    defaultOptions: { watchQuery: { fetchPolicy: 'cache-and-network' } },
  });
}

/** The session's renewal, through the same client (so it is a safelisted operation like any other). */
export function refresherFor(client: () => ApolloClient) {
  return async (refreshToken: string): Promise<RefreshOutcome> => {
    try {
      const result = await client().mutate({ mutation: RefreshTokenDocument, variables: { refreshToken }, fetchPolicy: 'no-cache' });
      const payload: SessionFragment | undefined = result.data?.refreshToken;
      return payload ? { kind: 'renewed', payload } : { kind: 'refused' };
    } catch (error) {
      if (CombinedGraphQLErrors.is(error)) return { kind: 'refused' };
      if (ServerError.is(error) && error.statusCode < 500 && error.statusCode !== 429) return { kind: 'refused' };
      // Network down, 5xx, 429: the token may still be good; the store tries again shortly.
      return { kind: 'unreachable' };
    }
  };
}
