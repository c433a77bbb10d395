import { ServiceCallError, type ServiceClient, type StationName } from '@brigade/platform';
import { MenuUnavailableError, type MenuItemInfo, type MenuPort } from '../domain/ports.js';

const MENU_ITEMS = /* GraphQL */ `
  query OrdersMenuItems($ids: [ID!]!) {
    menuItemsByIds(ids: $ids) {
      __typename
      id
      name
      price {
        amount
        currency
      }
      category
      station
    }
  }
`;

interface MenuItemResult {
  id: string;
  name: string;
  price: { amount: number; currency: string };
  station: 'KITCHEN' | 'BAR' | 'BAKERY';
}

const STATION_OF: Record<MenuItemResult['station'], StationName> = { KITCHEN: 'kitchen', BAR: 'bar', BAKERY: 'bakery' };

export class MenuClient implements MenuPort {
  constructor(private readonly client: ServiceClient) {}

  async lookup(ids: readonly string[], requestId: string, timeoutMs: number): Promise<(MenuItemInfo | null)[]> {
    let data: { menuItemsByIds: (MenuItemResult | null)[] };
    try {
      data = await this.client.request(MENU_ITEMS, { ids }, { requestId, timeoutMs });
    } catch (error) {
      if (error instanceof ServiceCallError) throw new MenuUnavailableError(error.message);
      throw error;
    }
    return data.menuItemsByIds.map((item) =>
      item
        ? {
            id: item.id,
            name: item.name,
            priceCents: item.price.amount,
            currency: item.price.currency,
            station: STATION_OF[item.station],
          }
        : null,
    );
  }
}
