import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GatewayContext } from '../context.js';
import type { GatewayPlugin } from '../pipeline.js';

/** Apollo Sandbox on GET /graphql in development; nothing in production (introspection is off there too). */
export function landingPagePlugin(options: { production: boolean }): GatewayPlugin {
  const apollo = options.production
    ? ApolloServerPluginLandingPageDisabled()
    : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false });
  return { name: 'landingPage', apollo: apollo as ApolloServerPlugin<GatewayContext> };
}
