import { CredentialMinter, generateKeyring, userViewer, type ServiceKeyring, type ServiceName, type Viewer } from '@brigade/platform';
import { decodeJwt } from 'jose';

let shared: Promise<ServiceKeyring> | undefined;
/** One keyring per test file: generating keys costs more than the servers that use them need. */
export const testKeyring = () => (shared ??= generateKeyring());

/** Mints credentials as any service of `keyring` would, one minter per issuer. */
export function createMinter(keyring: ServiceKeyring): (issuer: ServiceName, audience: string, viewer?: Viewer) => Promise<string> {
  const minters = new Map<ServiceName, CredentialMinter>();
  return (issuer, audience, viewer) => {
    let minter = minters.get(issuer);
    if (!minter) minters.set(issuer, (minter = new CredentialMinter(issuer, keyring.privateKeys[issuer])));
    return minter.mint(audience, viewer);
  };
}

const STAFF_SCOPE = 'orders:manage stock:write';

/** The viewers the gateway derives from a signed-in user's token, by role. */
export const staff = (id = 'staff-1') => userViewer(id, STAFF_SCOPE, ['STAFF']);
/** A staff member whose token carries only `scope`. */
export const staffWithScope = (scope = STAFF_SCOPE) => userViewer('staff-1', scope, ['STAFF']);
export const admin = (id = 'admin-1') => userViewer(id, 'orders:manage stock:write menu:write users:manage', ['ADMIN']);
export const customer = (id = 'customer-1') => userViewer(id, '', ['CUSTOMER']);

/** The viewer the gateway would derive from an access token auth issued. */
export function viewerOf(accessToken: string): Viewer {
  const claims = decodeJwt(accessToken);
  return userViewer(claims.sub!, claims.scope as string, claims.roles as string[]);
}
