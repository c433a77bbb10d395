import type { SubgraphContext } from '@brigade/platform';
import type { MenuItemLoader } from './data/menuItemLoader.js';
import type { MenuRepository } from './data/menuRepository.js';

export interface MenuDeps {
  readonly menu: MenuRepository;
}

export interface MenuRequestDeps {
  readonly menuItems: MenuItemLoader;
}

export type MenuContext = SubgraphContext & MenuDeps & MenuRequestDeps;
