import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GatewayContext } from '../context.js';
import type { GatewayPlugin } from '../pipeline.js';

/** Apollo Sandbox on GET /graphql in development; nothing in production (introspection is off there too). */
export function landingPagePlugin(options: { production: boolean }): GatewayPlugin {
  return {
    name: 'landingPage',
    apollo: (options.production
      ? ApolloServerPluginLandingPageDisabled()
      : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })) as never as import('@apollo/server').ApolloServerPlugin<GatewayContext>,
  };
}
