import { print, type DocumentNode } from 'graphql';

export interface GraphQLResult<T = Record<string, any>> {
  status: number;
  headers: Headers;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface QueryOptions {
  variables?: Record<string, unknown>;
  /** An access token, sent as `Authorization: Bearer …`. */
  token?: string;
  headers?: Record<string, string>;
  operationName?: string;
}

export interface SignedInUser {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

export interface GraphQLClient {
  query<T = Record<string, any>>(document: string | DocumentNode, options?: QueryOptions): Promise<GraphQLResult<T>>;
  /** Signs a fresh user up through the API. */
  signUp(overrides?: { email?: string; password?: string; name?: string }): Promise<SignedInUser>;
  logIn(email: string, password: string): Promise<SignedInUser>;
  /** A fresh user with the given role, granted by the admin, logged in again so the token carries its scopes. */
  userWithRole(role: 'CUSTOMER' | 'STAFF' | 'ADMIN'): Promise<SignedInUser>;
  adminToken(): Promise<string>;
}

const AUTH_FIELDS = 'accessToken refreshToken user { id email }';
let counter = 0;

/** A GraphQL-over-HTTP client for tests: plain fetch, as any client would talk to the gateway. */
export function createClient(url: string, admin = { email: 'admin@brigade.test', password: 'admin-password-for-tests' }): GraphQLClient {
  const query: GraphQLClient['query'] = async (document, options = {}) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      body: JSON.stringify({
        query: typeof document === 'string' ? document : print(document),
        variables: options.variables,
        operationName: options.operationName,
      }),
    });
    const text = await response.text();
    let body: { data?: unknown; errors?: GraphQLResult['errors'] } = {};
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`non-JSON response (${response.status}): ${text.slice(0, 200)}`);
    }
    return { status: response.status, headers: response.headers, data: body.data as never, errors: body.errors };
  };

  const expectPayload = (result: GraphQLResult, field: string, password: string, email: string): SignedInUser => {
    const payload = result.data?.[field];
    if (!payload) throw new Error(`${field} failed: ${JSON.stringify(result.errors)}`);
    return { id: payload.user.id, email, password, accessToken: payload.accessToken, refreshToken: payload.refreshToken };
  };

  const logIn: GraphQLClient['logIn'] = async (email, password) => {
    const result = await query(`mutation($input: LogInInput!) { logIn(input: $input) { ${AUTH_FIELDS} } }`, {
      variables: { input: { email, password } },
    });
    return expectPayload(result, 'logIn', password, email);
  };

  let adminToken: Promise<string> | undefined;
  const client: GraphQLClient = {
    query,
    logIn,
    async signUp(overrides = {}) {
      const email = overrides.email ?? `user${process.pid}x${++counter}x${Date.now()}@example.com`;
      const password = overrides.password ?? 'correct horse battery';
      const result = await query(`mutation($input: SignUpInput!) { signUp(input: $input) { ${AUTH_FIELDS} } }`, {
        variables: { input: { email, password, name: overrides.name ?? 'Test User' } },
      });
      return expectPayload(result, 'signUp', password, email);
    },
    adminToken() {
      adminToken ??= logIn(admin.email, admin.password).then((u) => u.accessToken);
      return adminToken;
    },
    async userWithRole(role) {
      const user = await client.signUp();
      if (role === 'CUSTOMER') return user;
      const granted = await query('mutation($id: ID!, $role: Role!) { grantRole(userId: $id, role: $role) { id } }', {
        variables: { id: user.id, role },
        token: await client.adminToken(),
      });
      if (granted.errors) throw new Error(`grantRole failed: ${JSON.stringify(granted.errors)}`);
      return logIn(user.email, user.password);
    },
  };
  return client;
}
