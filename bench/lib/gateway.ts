/** What every program under test looks like to the bench, whatever starts it. */
import type { ManagedProcess } from './proc.js';

export interface StartedGateway {
  /** The GraphQL endpoint clients POST to. */
  url: string;
  proc: ManagedProcess;
  /** Free text for the report (version, flags). */
  description: string;
}

export interface GatewayContext {
  supergraphPath: string;
  subgraphsUrl: string;
  port: number;
  /** taskset CPU list the gateway must run on. */
  cpus?: string;
  /** Scratch directory for this bench run. */
  workDir: string;
  log: (line: string) => void;
}

export interface GatewayCandidate {
  id: string;
  label: string;
  /** A started gateway, or the reason it cannot run here (reported, the bench carries on). */
  start(context: GatewayContext): Promise<StartedGateway | { skipped: string }>;
}
