/** Polls `probe` until it returns true; fails with `what` after a generous deadline (not a timing assertion). */
export async function eventually(what: string, probe: () => Promise<boolean>, deadlineMs = 30_000, intervalMs = 20): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`never happened: ${what}`);
}
