import { NotFoundError, ServiceUnavailableError } from '@brigade/platform';
import type { StationContext, StockChange } from '../context.js';
import { normalizeLines, validateRestock, type Reservation } from '../domain/reservation.js';
import type { StationProfile } from '../stations.js';
import type { SubgraphResolvers } from '@brigade/platform';

const toGraphQL = (r: Reservation) => ({
  orderId: r.orderId,
  status: r.status,
  lines: r.lines.map((l) => ({ menuItemId: l.itemId, quantity: l.quantity, available: l.available })),
});

interface StockItem {
  id: string;
  stock: number;
}

export function createResolvers(profile: StationProfile): SubgraphResolvers<StationContext> {
  const { itemType } = profile;
  return {
    MenuItem: { __resolveType: () => itemType },
    Subscription: {
      [`${itemType.charAt(0).toLowerCase()}${itemType.slice(1)}StockChanged`]: {
        subscribe: (_: unknown, _args: unknown, ctx: StationContext) => ctx.stockEvents.subscribe(),
        resolve: (change: StockChange): StockItem => ({ id: change.id, stock: change.stock }),
      },
    },
    [itemType]: {
      __resolveReference: async ({ id }: { id: string }, ctx: StationContext): Promise<StockItem> => ({
        id,
        // A new menu item has no stock row yet: it starts at 0.
        stock: (await ctx.stockLoader.load(id)) ?? 0,
      }),
      available: (item: StockItem) => item.stock > 0,
    },
    Mutation: {
      [`restock${itemType}`]: async (_: unknown, args: { id: string; quantity: number }, ctx: StationContext): Promise<StockItem> => {
        validateRestock(args.quantity);
        const type = await ctx.menu.typeOf(args.id, ctx.requestId).catch((error: unknown) => {
          if (error instanceof ServiceUnavailableError) ctx.logger.warn({ err: error.cause }, 'menu unavailable for restock');
          throw error;
        });
        if (type !== itemType) throw new NotFoundError(`No ${itemType} ${args.id}.`);
        return { id: args.id, stock: await ctx.stock.add(args.id, args.quantity) };
      },
      reserveStock: async (
        _: unknown,
        args: { orderId: string; lines: { menuItemId: string; quantity: number }[] },
        ctx: StationContext,
      ) => {
        const lines = normalizeLines(
          args.orderId,
          args.lines.map((l) => ({ itemId: l.menuItemId, quantity: l.quantity })),
        );
        return toGraphQL(await ctx.reservations.reserve(args.orderId, lines));
      },
      confirmReservation: async (_: unknown, args: { orderId: string }, ctx: StationContext) => {
        return toGraphQL(await ctx.reservations.confirm(args.orderId));
      },
      releaseReservation: async (_: unknown, args: { orderId: string }, ctx: StationContext) => {
        return toGraphQL(await ctx.reservations.release(args.orderId));
      },
    },
  };
}
