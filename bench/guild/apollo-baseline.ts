/**
 * The baseline: plain @apollo/gateway + @apollo/server with default settings, a static supergraph and the
 * standalone server, as the published benchmark runs it.
 *
 *   NODE_ENV=production node --import tsx bench/guild/apollo-baseline.ts --supergraph file.graphql [--port 4000]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway } from '@apollo/gateway';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4000' },
      host: { type: 'string', default: '127.0.0.1' },
      supergraph: { type: 'string' },
    },
  });
  if (!values.supergraph) throw new Error('--supergraph <file> is required');
  const gateway = new ApolloGateway({ supergraphSdl: readFileSync(values.supergraph, 'utf8') });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, { listen: { port: Number(values.port), host: values.host } });
  console.log(`apollo gateway listening on ${url}graphql`);
  const stop = (): void => void server.stop().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
