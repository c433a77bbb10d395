import type { StationName } from '@brigade/platform';

/** The stock a station starts with for one of its items. */
export interface SeedStock {
  /** The item's id in menu's seed (subgraphs/menu/src/data/seed.ts): the ids never change. */
  readonly id: string;
  readonly stock: number;
}

/** The stock each station starts with (DESIGN.md, "Menu seed": every item in stock except Beer). */
export const SEED_STOCK: Readonly<Record<StationName, readonly SeedStock[]>> = {
  kitchen: [
    { id: '814112bf-bacb-4a3a-b9dc-e502402de6f6', stock: 30 }, // Pasta
    { id: 'b8b92307-363b-4308-85f9-098205804d57', stock: 30 }, // Pizza
    { id: '9994cc40-79e6-4244-b11e-4858df5df5f4', stock: 15 }, // Steak
    { id: '60c07cef-17ab-47f8-97ae-94a64940ab0a', stock: 15 }, // Grilled Fish
  ],
  bar: [
    { id: 'b0ca1b98-2100-4ffc-8f7e-08941e623628', stock: 100 }, // Coffee
    { id: '118071a1-7553-4264-b33c-3d5b928be173', stock: 80 }, // Soda
    { id: 'e03552c0-950a-4a1e-b2f5-99427fc9c871', stock: 0 }, // Beer
    { id: 'd4e23a9d-3999-4a0f-a240-d3477ab2dc9e', stock: 40 }, // Wine
  ],
  bakery: [
    { id: '72b644dc-cf76-4248-b179-131613e6fb68', stock: 60 }, // Cookie
    { id: 'efa984f7-4160-4f2f-b4de-2581a8cb5827', stock: 40 }, // Donut
    { id: 'cc824519-6bcf-4e7e-b257-46616feff572', stock: 30 }, // Brownie
    { id: 'e463cb90-9d63-439c-9917-7aeb6344396f', stock: 25 }, // Gelato
  ],
};
