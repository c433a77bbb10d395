/** Prices are integer minor units (cents) with an ISO currency code. */
export function formatMoney(money: { readonly amount: number; readonly currency: string }): string {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency: money.currency }).format(money.amount / 100);
}

export function formatTime(iso: string): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** A short, readable reference for an order id (its last 6 characters). */
export function orderRef(id: string): string {
  return id.replace(/-/g, '').slice(-6).toUpperCase();
}
