/** The programs the public federation benchmark compares, each started the way its users would start it. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBrigadeGateway } from '../brigade.js';
import type { GatewayCandidate, GatewayContext, StartedGateway } from '../lib/gateway.js';
import { ensurePeer } from '../lib/peers.js';
import { nodeTs, REPO_ROOT, startProcess } from '../lib/proc.js';
import { countFetches, runThroughApolloGateway, toFloorPlan } from './plan.js';

/** The version of the published reference run on this machine kind; it runs on Node 20. */
export const HIVE_GATEWAY = { name: '@graphql-hive/gateway', version: '2.15.1', bin: 'hive-gateway' };

const productionEnv = (): NodeJS.ProcessEnv => ({ ...process.env, NODE_ENV: 'production' });

function startTsServer(context: GatewayContext, name: string, script: string, args: string[], description: string): StartedGateway {
  const { command, args: argv } = nodeTs(join(REPO_ROOT, script), ['--port', String(context.port), ...args]);
  const proc = startProcess({ name, command, args: argv, cpus: context.cpus, env: productionEnv() });
  return { url: `http://127.0.0.1:${context.port}/graphql`, proc, description };
}

const brigade: GatewayCandidate = {
  id: 'brigade',
  label: 'Brigade gateway',
  start: async (context) =>
    (await startBrigadeGateway(context.supergraphPath, context.port, { cpus: context.cpus })) ?? {
      skipped: 'startBrigadeGateway() returned null: Brigade’s gateway cannot be started from this checkout yet',
    },
};

const apollo: GatewayCandidate = {
  id: 'apollo',
  label: 'plain @apollo/gateway + @apollo/server',
  start: async (context) =>
    startTsServer(
      context,
      'apollo-gateway',
      'bench/guild/apollo-baseline.ts',
      ['--supergraph', context.supergraphPath],
      'defaults, static supergraph',
    ),
};

function hive(jit: boolean): GatewayCandidate {
  return {
    id: jit ? 'hive-jit' : 'hive',
    label: `Hive Gateway${jit ? ' --jit' : ''}`,
    start: async (context) => {
      let bin: string;
      try {
        bin = ensurePeer(HIVE_GATEWAY, context.log);
      } catch (error) {
        return { skipped: `not installable here: ${error instanceof Error ? error.message : String(error)}` };
      }
      const args = [bin, 'supergraph', context.supergraphPath, '--host', '127.0.0.1', '--port', String(context.port), '--fork', '1'];
      if (jit) args.push('--jit');
      // Its own scratch cwd, so no gateway.config file of the repo is picked up.
      const proc = startProcess({
        name: `hive${jit ? '-jit' : ''}`,
        command: process.execPath,
        args,
        cpus: context.cpus,
        cwd: context.workDir,
        env: productionEnv(),
      });
      return {
        url: `http://127.0.0.1:${context.port}/graphql`,
        proc,
        description: `${HIVE_GATEWAY.version} --fork 1${jit ? ' --jit' : ''}`,
      };
    },
  };
}

const floor: GatewayCandidate = {
  id: 'floor',
  label: 'transport floor (16 undici fetches, no GraphQL)',
  start: async (context) => {
    // Captured here, in the bench process, so the floor process carries no gateway code.
    const plan = toFloorPlan(await runThroughApolloGateway(context.subgraphsUrl));
    const planPath = join(context.workDir, 'floor-plan.json');
    writeFileSync(planPath, JSON.stringify(plan));
    return startTsServer(
      context,
      'floor',
      'bench/guild/floor.ts',
      ['--subgraphs', context.subgraphsUrl, '--plan', planPath],
      `${countFetches(plan)} fetches in Apollo's plan order, undici Pool per subgraph`,
    );
  },
};

export const GUILD_GATEWAYS: GatewayCandidate[] = [brigade, apollo, hive(false), hive(true), floor];
