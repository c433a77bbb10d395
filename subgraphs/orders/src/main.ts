import { runSubgraph } from '@brigade/platform';
import * as subgraph from './subgraph.js';

await runSubgraph(subgraph);
