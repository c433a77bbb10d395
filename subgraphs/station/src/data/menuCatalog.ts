import { ServiceCallError, type ServiceClient } from '@brigade/platform';

export class MenuUnavailableError extends Error {}

/** Asks the menu subgraph (which owns the items) what type an id is; null when menu does not know it. */
export class MenuCatalog {
  constructor(private readonly client: ServiceClient) {}

  async typeOf(id: string, requestId?: string): Promise<string | null> {
    try {
      const data = await this.client.request<{ menuItem: { __typename: string } | null }>(
        'query StationItemType($id: ID!) { menuItem(id: $id) { __typename } }',
        { id },
        { requestId },
      );
      return data.menuItem?.__typename ?? null;
    } catch (error) {
      if (error instanceof ServiceCallError) throw new MenuUnavailableError(error.message);
      throw error;
    }
  }
}
