import type { BatchLoader, SubgraphContext } from '@brigade/platform';
import type { MenuRepository } from './data/menuRepository.js';
import type { MenuItem } from './domain/menuItem.js';

export interface MenuDeps {
  readonly menu: MenuRepository;
}

export interface MenuRequestDeps {
  readonly menuItems: BatchLoader<string, MenuItem>;
}

export type MenuContext = SubgraphContext & MenuDeps & MenuRequestDeps;
