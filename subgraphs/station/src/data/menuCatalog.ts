import { ServiceCallError, ServiceUnavailableError, type ServiceClient } from '@brigade/platform';

/**
 * Asks the menu subgraph (which owns the items) what type an id is; null when menu does not know it, and
 * SERVICE_UNAVAILABLE when menu cannot answer.
 */
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
      if (error instanceof ServiceCallError) throw new ServiceUnavailableError('The menu cannot be reached; try again.', { cause: error });
      throw error;
    }
  }
}
