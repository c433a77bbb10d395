import { NotFoundError } from '@brigade/platform';
import type { MenuContext } from '../context.js';
import {
  itemTypeOf,
  stationOf,
  validateBatchIds,
  validateChanges,
  validateNewItem,
  type Category,
  type ItemType,
  type MenuItem,
} from '../domain/menuItem.js';

/** A reference typed as one concrete type resolves only to an item of that type. */
const referenceOf =
  (type: ItemType) =>
  async ({ id }: { id: string }, ctx: MenuContext): Promise<MenuItem | null> => {
    const item = await ctx.menuItems.load(id);
    return item && itemTypeOf(item.category) === type ? item : null;
  };

const itemFields = {
  price: (item: MenuItem) => ({ amount: item.priceCents, currency: item.currency }),
  station: (item: MenuItem) => stationOf(item.category),
};

export const resolvers = {
  Query: {
    menu: (_: unknown, args: { category?: Category | null }, ctx: MenuContext) => ctx.menu.list(args.category ?? undefined),
    menuItem: async (_: unknown, args: { id: string }, ctx: MenuContext) => (await ctx.menuItems.load(args.id)) ?? null,
    menuItemsByIds: async (_: unknown, args: { ids: string[] }, ctx: MenuContext) => {
      // Who may call this internal lookup is declared once, in CALLERS (subgraph.ts), and enforced by the platform.
      validateBatchIds(args.ids);
      return (await ctx.menuItems.loadAll(args.ids)).map((item) => item ?? null);
    },
  },
  Mutation: {
    createMenuItem: (
      _: unknown,
      args: { input: { name: string; description?: string | null; price: number; category: Category } },
      ctx: MenuContext,
    ) => ctx.menu.create(validateNewItem(args.input)),
    updateMenuItem: async (
      _: unknown,
      args: { id: string; input: { name?: string | null; description?: string | null; price?: number | null } },
      ctx: MenuContext,
    ) => {
      const changes = validateChanges(args.input);
      const item = await ctx.menu.update(args.id, changes);
      if (!item) throw new NotFoundError(`No menu item ${args.id}.`);
      return item;
    },
  },
  MenuItem: {
    __resolveType: (item: MenuItem) => itemTypeOf(item.category),
    __resolveReference: async ({ id }: { id: string }, ctx: MenuContext) => (await ctx.menuItems.load(id)) ?? null,
  },
  Drink: { ...itemFields, __resolveReference: referenceOf('Drink') },
  Dish: { ...itemFields, __resolveReference: referenceOf('Dish') },
  Pastry: { ...itemFields, __resolveReference: referenceOf('Pastry') },
};
