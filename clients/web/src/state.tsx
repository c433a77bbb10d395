import type { ApolloClient } from '@apollo/client';
import { createContext, useCallback, useContext, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { MenuItemCardFragment, Role } from './graphql/generated.js';
import type { DeviceKeyStore } from './api/deviceKey.js';
import type { Session, SessionStore, SignOutReason } from './api/session.js';

export interface Services {
  readonly client: ApolloClient;
  readonly sessions: SessionStore;
  readonly deviceKeys: DeviceKeyStore;
}

const ServicesContext = createContext<Services | null>(null);

export function ServicesProvider({ services, children }: { services: Services; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside ServicesProvider');
  return services;
}

export interface SessionView {
  readonly session: Session | null;
  /** Why the last session ended, while nobody is signed in. */
  readonly endedBecause: SignOutReason | null;
}

/** The current session, re-rendering on sign-in, renewal and sign-out. */
export function useSession(): SessionView {
  const { sessions } = useServices();
  const subscribe = useCallback((onChange: () => void) => sessions.subscribe(onChange), [sessions]);
  const session = useSyncExternalStore(subscribe, () => sessions.current);
  return { session, endedBecause: session ? null : sessions.endedBecause };
}

/** The API key this device runs the board with, if any. */
export function useDeviceKey(): string | null {
  const { deviceKeys } = useServices();
  const subscribe = useCallback((onChange: () => void) => deviceKeys.subscribe(onChange), [deviceKeys]);
  return useSyncExternalStore(subscribe, () => deviceKeys.current);
}

export function hasRole(session: Session | null, ...roles: Role[]): boolean {
  return !!session && session.user.roles.some((role) => roles.includes(role));
}

export type CartItem = Pick<MenuItemCardFragment, 'id' | 'name' | 'price'>;
export interface CartLine {
  readonly item: CartItem;
  readonly quantity: number;
}

export interface Cart {
  readonly lines: readonly CartLine[];
  add(item: CartItem): void;
  remove(itemId: string): void;
  clear(): void;
}

const CartContext = createContext<Cart | null>(null);
const MAX_QUANTITY = 50;

export function CartProvider({ children }: { children: ReactNode }) {
  const [lines, setLines] = useState<readonly CartLine[]>([]);
  const add = useCallback((item: CartItem) => {
    setLines((current) => {
      const existing = current.find((line) => line.item.id === item.id);
      if (!existing) return [...current, { item, quantity: 1 }];
      return current.map((line) => (line.item.id === item.id ? { item, quantity: Math.min(MAX_QUANTITY, line.quantity + 1) } : line));
    });
  }, []);
  const remove = useCallback((itemId: string) => {
    setLines((current) =>
      current.flatMap((line) => (line.item.id !== itemId ? [line] : line.quantity > 1 ? [{ ...line, quantity: line.quantity - 1 }] : [])),
    );
  }, []);
  const clear = useCallback(() => setLines([]), []);
  const cart = useMemo(() => ({ lines, add, remove, clear }), [lines, add, remove, clear]);
  return <CartContext.Provider value={cart}>{children}</CartContext.Provider>;
}

export function useCart(): Cart {
  const cart = useContext(CartContext);
  if (!cart) throw new Error('useCart outside CartProvider');
  return cart;
}
