/** Small HTTP helpers for the bench (undici, loopback only). */
import { request } from 'undici';

export async function postText(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  return { status: response.statusCode, text: await response.body.text() };
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await request(url);
  if (response.statusCode !== 200) throw new Error(`GET ${url}: ${response.statusCode}`);
  return (await response.body.json()) as T;
}

/** Polls `probe` until it resolves true; rethrows the last error when `timeoutMs` runs out. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 60_000,
  isAlive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`${what}: the process exited`);
    try {
      if (await probe()) return;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
}
