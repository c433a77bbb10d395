import { runSubgraph } from '@brigade/platform/run';
import { loadConfig } from './config.js';

await runSubgraph(loadConfig, () => import('./subgraph.js'));
