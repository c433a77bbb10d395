import { BadUserInputError } from '@brigade/platform/problems';

export type Category = 'DRINK' | 'MEAL' | 'DESSERT';
export type ItemType = 'Drink' | 'Dish' | 'Pastry';
export type StationEnum = 'KITCHEN' | 'BAR' | 'BAKERY';

export interface MenuItem {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly priceCents: number;
  readonly currency: string;
  readonly category: Category;
}

/** The menu's display order: drinks, then meals, then desserts. */
export const CATEGORY_ORDER: readonly Category[] = ['DRINK', 'MEAL', 'DESSERT'];

/**
 * What an item's category makes it: the entity type it resolves to, and the station that stocks it (whose
 * subgraph extends that type). Menu owns this; each station knows only the type it extends.
 */
const KIND_OF: Record<Category, { readonly itemType: ItemType; readonly station: StationEnum }> = {
  DRINK: { itemType: 'Drink', station: 'BAR' },
  MEAL: { itemType: 'Dish', station: 'KITCHEN' },
  DESSERT: { itemType: 'Pastry', station: 'BAKERY' },
};

export const itemTypeOf = (category: Category): ItemType => KIND_OF[category].itemType;
export const stationOf = (category: Category): StationEnum => KIND_OF[category].station;

export const NAME_MAX = 100;
export const DESCRIPTION_MAX = 500;
export const PRICE_MAX_CENTS = 1_000_000;
export const BATCH_MAX_IDS = 100;

export interface NewMenuItem {
  readonly name: string;
  readonly description: string | null;
  readonly priceCents: number;
  readonly category: Category;
}

/** A partial update: absent fields stay as they are; a null description clears it. */
export interface MenuItemChanges {
  readonly name?: string;
  readonly description?: string | null;
  readonly priceCents?: number;
}

function validName(raw: unknown): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (name.length < 1 || name.length > NAME_MAX) {
    throw new BadUserInputError(`name must be 1 to ${NAME_MAX} characters.`, 'name');
  }
  return name;
}

function validDescription(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const description = raw.trim();
  if (description.length > DESCRIPTION_MAX) {
    throw new BadUserInputError(`description must be at most ${DESCRIPTION_MAX} characters.`, 'description');
  }
  return description;
}

function validPrice(raw: unknown): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > PRICE_MAX_CENTS) {
    throw new BadUserInputError(`price must be 1 to ${PRICE_MAX_CENTS} cents.`, 'price');
  }
  return raw;
}

export function validateNewItem(input: { name: string; description?: string | null; price: number; category: Category }): NewMenuItem {
  return {
    name: validName(input.name),
    description: validDescription(input.description),
    priceCents: validPrice(input.price),
    category: input.category,
  };
}

export function validateChanges(input: { name?: string | null; description?: string | null; price?: number | null }): MenuItemChanges {
  const changes: { name?: string; description?: string | null; priceCents?: number } = {};
  if (input.name !== undefined) changes.name = validName(input.name);
  if (input.description !== undefined) changes.description = validDescription(input.description);
  if (input.price !== undefined) changes.priceCents = validPrice(input.price);
  return changes;
}

export function validateBatchIds(ids: readonly string[]): void {
  if (ids.length > BATCH_MAX_IDS) throw new BadUserInputError(`at most ${BATCH_MAX_IDS} ids.`, 'ids');
}
