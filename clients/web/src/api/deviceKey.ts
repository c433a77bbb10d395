import type { SessionStorageLike } from './session.js';

const STORAGE_KEY = 'brigade.deviceKey';

/**
 * A device (a kitchen display, a bar tablet) runs the board with an API key instead of a person's session:
 * the key is sent as `X-API-Key` and grants exactly its scopes. It is kept on the device until forgotten;
 * a device key and a signed-in session never coexist (the API refuses a token and a key together).
 */
export class DeviceKeyStore {
  private key: string | null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly storage?: SessionStorageLike) {
    this.key = storage?.getItem(STORAGE_KEY) ?? null;
  }

  get current(): string | null {
    return this.key;
  }

  set(key: string | null): void {
    this.key = key?.trim() || null;
    if (this.key) this.storage?.setItem(STORAGE_KEY, this.key);
    else this.storage?.removeItem(STORAGE_KEY);
    for (const listener of this.listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
