import { loadServiceConfig, type Env, type ServiceConfig } from '@brigade/platform/config';

export type MenuConfig = ServiceConfig;

export function loadConfig(env: Env): Promise<MenuConfig> {
  return loadServiceConfig('menu', env);
}
