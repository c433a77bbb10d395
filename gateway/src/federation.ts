import { ApolloGateway } from '@apollo/gateway';
import type { CredentialMinter, Logger } from '@brigade/platform';
import type { SupergraphModel } from './analysis/index.js';
import { loadSupergraphModel } from './analysis/index.js';
import type { GatewayConfig } from './config.js';
import { SubgraphDataSource } from './dataSource.js';
import type { GatewayMetrics } from './metrics.js';
import { fetchTracing, type RequestSpans } from './plugins/observability.js';
import { SubgraphHealth, subgraphsOf } from './subgraphHealth.js';
import { prepareForGateway, watchSupergraph } from './supergraph.js';
import type { GatewayTracing } from './tracing.js';

export interface Federation {
  readonly gateway: ApolloGateway;
  readonly health: SubgraphHealth;
  close(): Promise<void>;
}

/**
 * Apollo Gateway over the composed supergraph (reloaded when the file changes), fetching from the subgraphs
 * with Brigade's data source. `onModel` gets each loaded supergraph's model before Apollo Server sees the new
 * schema (null when it could not be built: every operation is refused until the next load).
 */
export function createFederation(
  config: GatewayConfig,
  initialSdl: string,
  options: {
    logger: Logger;
    metrics: GatewayMetrics;
    tracing?: GatewayTracing;
    spans: RequestSpans;
    minter: CredentialMinter;
    onModel: (model: SupergraphModel | null) => void;
  },
): Federation {
  const { logger, metrics } = options;
  const dataSources: SubgraphDataSource[] = [];
  const health = new SubgraphHealth(config.healthCheckIntervalMs, logger);
  const { minter } = options;
  const routingUrl = (name: string, url: string) => config.subgraphUrls[name] ?? url;
  // Apollo Gateway reads this switch from the environment only, when constructed. Left on, every start probes
  // the cloud metadata addresses of AWS, GCP, Azure and Alibaba and exports usage metrics to Apollo.
  if (!config.apolloTelemetry) process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const gateway = new ApolloGateway({
    logger,
    queryPlannerConfig: { cache: metrics.queryPlanCache },
    async supergraphSdl({ update }) {
      const reload = (sdl: string) => {
        try {
          update(prepareForGateway(sdl));
          logger.info({ path: config.supergraphPath }, 'supergraph reloaded');
        } catch (error) {
          logger.error({ err: error }, 'supergraph reload refused; still serving the previous one');
        }
      };
      const stopWatching = watchSupergraph(config.supergraphPath, initialSdl, reload, logger);
      return { supergraphSdl: prepareForGateway(initialSdl), cleanup: async () => stopWatching() };
    },
    buildService({ name, url }) {
      const source = new SubgraphDataSource({
        name,
        url: routingUrl(name, url!),
        minter,
        timeoutMs: config.subgraphTimeoutMs,
        connections: config.subgraphConnections,
        dedupe: config.dedupeSubgraphFetches,
        onFetch: metrics.onFetch,
        traceFetch: fetchTracing(options.tracing, options.spans),
      });
      dataSources.push(source);
      return source;
    },
  });
  // Registered before Apollo Server's own listener: a new schema never runs with the previous model.
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    try {
      options.onModel(loadSupergraphModel(coreSupergraphSdl));
    } catch (error) {
      logger.error({ err: error }, 'supergraph model could not be built; refusing operations until the next load');
      options.onModel(null);
    }
    const urls = new Map([...subgraphsOf(coreSupergraphSdl)].map(([name, url]) => [name, routingUrl(name, url)]));
    void health.watch(urls);
  });
  return {
    gateway,
    health,
    async close() {
      health.stop();
      await Promise.all(dataSources.map((s) => s.close()));
    },
  };
}
