import { readFileSync } from 'node:fs';
import type { StationName } from '@brigade/platform/services';

/** What differs between the three deployments of the station code base. */
export interface StationProfile {
  readonly station: StationName;
  /**
   * The menu type whose stock this station owns: the entity its SDL extends and its restock field names
   * (`restockDrink`). Which items are of that type is menu's to say (an item's category).
   */
  readonly itemType: 'Dish' | 'Drink' | 'Pastry';
}

export const STATION_PROFILES: Record<StationName, StationProfile> = {
  kitchen: { station: 'kitchen', itemType: 'Dish' },
  bar: { station: 'bar', itemType: 'Drink' },
  bakery: { station: 'bakery', itemType: 'Pastry' },
};

const TEMPLATE_URL = new URL('../schema.graphql', import.meta.url);

/** The station's SDL: the template with its item type filled in (also what `npm run compose` writes out). */
export function renderStationSdl(profile: StationProfile): string {
  const template = readFileSync(TEMPLATE_URL, 'utf8');
  const body = template.replace(/^(#.*\n)+/, '');
  return `# Generated from subgraphs/station/schema.graphql by \`npm run compose\` — edit the template.\n${body.replaceAll('__ITEM__', profile.itemType).replaceAll('__item__', camelCase(profile.itemType))}`;
}

function camelCase(typeName: string): string {
  return typeName.charAt(0).toLowerCase() + typeName.slice(1);
}
