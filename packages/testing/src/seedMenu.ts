import { SEED_MENU as MENU_ITEMS, type SeedItem } from '@brigade/menu';
import type { StationName } from '@brigade/platform';
import { SEED_STOCK } from '@brigade/station';

/** A seeded item as a fresh stack serves it: menu's item, with the station that stocks it and its stock there. */
export interface SeededMenuItem extends SeedItem {
  readonly station: StationName;
  readonly stock: number;
}

/**
 * The menu a fresh stack serves: menu's seed joined with the stock each station seeds under the same ids.
 * Each service owns its half; only tests and benchmarks need both at once.
 */
export const SEED_MENU: readonly SeededMenuItem[] = MENU_ITEMS.map((item) => {
  const [station, stock] = stockedAt(item.id);
  return { ...item, station, stock };
});

function stockedAt(id: string): [StationName, number] {
  for (const [station, items] of Object.entries(SEED_STOCK) as [StationName, (typeof SEED_STOCK)[StationName]][]) {
    const seeded = items.find((item) => item.id === id);
    if (seeded) return [station, seeded.stock];
  }
  throw new Error(`no station seeds the stock of menu item ${id}`);
}
