import type { Category } from '../domain/menuItem.js';

/** An item of the menu a new Brigade starts with. */
export interface SeedItem {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly category: Category;
  /** USD cents. */
  readonly price: number;
}

/**
 * The menu every new Brigade starts with (DESIGN.md, "Menu seed"). Each station seeds the stock of its
 * own items under these same ids (subgraphs/station/src/data/seed.ts): the ids never change.
 */
export const SEED_MENU: readonly SeedItem[] = [
  { id: 'b0ca1b98-2100-4ffc-8f7e-08941e623628', name: 'Coffee', description: 'Espresso, freshly pulled.', category: 'DRINK', price: 300 },
  { id: '118071a1-7553-4264-b33c-3d5b928be173', name: 'Soda', description: 'Lemon soda, ice cold.', category: 'DRINK', price: 250 },
  { id: 'e03552c0-950a-4a1e-b2f5-99427fc9c871', name: 'Beer', description: 'Local pale ale.', category: 'DRINK', price: 600 },
  { id: 'd4e23a9d-3999-4a0f-a240-d3477ab2dc9e', name: 'Wine', description: 'A glass of house red.', category: 'DRINK', price: 800 },
  { id: '814112bf-bacb-4a3a-b9dc-e502402de6f6', name: 'Pasta', description: 'Tagliatelle with ragù.', category: 'MEAL', price: 1400 },
  { id: 'b8b92307-363b-4308-85f9-098205804d57', name: 'Pizza', description: 'Margherita, wood-fired.', category: 'MEAL', price: 1200 },
  { id: '9994cc40-79e6-4244-b11e-4858df5df5f4', name: 'Steak', description: 'Sirloin with fries.', category: 'MEAL', price: 2600 },
  {
    id: '60c07cef-17ab-47f8-97ae-94a64940ab0a',
    name: 'Grilled Fish',
    description: 'Sea bass, lemon and herbs.',
    category: 'MEAL',
    price: 2200,
  },
  { id: '72b644dc-cf76-4248-b179-131613e6fb68', name: 'Cookie', description: 'Chocolate chip.', category: 'DESSERT', price: 200 },
  { id: 'efa984f7-4160-4f2f-b4de-2581a8cb5827', name: 'Donut', description: 'Glazed.', category: 'DESSERT', price: 250 },
  { id: 'cc824519-6bcf-4e7e-b257-46616feff572', name: 'Brownie', description: 'Walnut brownie.', category: 'DESSERT', price: 350 },
  { id: 'e463cb90-9d63-439c-9917-7aeb6344396f', name: 'Gelato', description: 'Pistachio, two scoops.', category: 'DESSERT', price: 450 },
];
