import type { Analysis } from '../analysis/index.js';
import type { GatewayPlugin } from '../pipeline.js';
import { LIMIT_EXCEEDED_MESSAGE, limitError } from './operationLimits.js';

export interface CostOptions {
  /** `MAX_COST` (default 5000): estimated cost allowed per operation (see analysis/operation.ts). */
  maxCost?: number;
  /** `COST_DEFAULT_LIST_SIZE` (default 10): length assumed for a list without `@listSize`. */
  defaultListSize?: number;
  /** Say the limit in the error (development). */
  exposeLimits?: boolean;
  onReject?: (limit: string) => void;
}

export const COST_DEFAULTS = { maxCost: 5_000, defaultListSize: 10 } as const;

/**
 * Refuses operations whose estimated cost — `@cost` / `@listSize` of the supergraph, as Apollo Router's demand
 * control counts it — is over the limit, after validation and before planning. The cost comes from the
 * operation analysis (cached per document and slicing-argument values), which stops as soon as it is over.
 */
export function costPlugin(options: CostOptions & { analysis: Analysis }): GatewayPlugin {
  const maxCost = options.maxCost ?? COST_DEFAULTS.maxCost;
  return {
    name: 'cost',
    apollo: {
      async requestDidStart() {
        return {
          async didResolveOperation({ contextValue, document, operationName, request }) {
            const analysis = options.analysis.of({ context: contextValue, document, operationName, variables: request.variables });
            if (analysis?.exceeded !== 'cost') return;
            options.onReject?.('cost');
            throw limitError(options.exposeLimits ? `Operation cost exceeds the limit of ${maxCost}.` : LIMIT_EXCEEDED_MESSAGE);
          },
        };
      },
    },
  };
}
