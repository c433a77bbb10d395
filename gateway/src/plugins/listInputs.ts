import { ErrorCode } from '@brigade/platform';
import { Kind, visit, type DocumentNode } from 'graphql';
import { graphqlRuntime } from '../graphqlRuntime.js';
import type { GatewayPlugin } from '../pipeline.js';

const { GraphQLError } = graphqlRuntime;

export interface ListInputOptions {
  /** `MAX_LIST_INPUT` (default 100): longest list accepted anywhere in arguments or variables. */
  maxListInput?: number;
  /** Say the limit in the error (development); production only says a list is too long. */
  exposeLimits?: boolean;
  onReject?: (limit: string) => void;
}

export const LIST_INPUT_DEFAULTS = { maxListInput: 100 } as const;

/**
 * Bounds every list a client sends — literal lists in the document and arrays in the variables, at any
 * depth — before planning, so one request cannot fan out into an unbounded batch on a subgraph.
 */
export function listInputsPlugin(options: ListInputOptions = {}): GatewayPlugin {
  const max = options.maxListInput ?? LIST_INPUT_DEFAULTS.maxListInput;
  const literalOk = new WeakMap<DocumentNode, boolean>();
  const message = options.exposeLimits ? `A list argument has more than ${max} items.` : 'A list argument has too many items.';
  return {
    name: 'listInputs',
    apollo: {
      async requestDidStart() {
        return {
          async didResolveOperation({ document, request }) {
            let ok = literalOk.get(document);
            if (ok === undefined) {
              ok = !hasLongLiteralList(document, max);
              literalOk.set(document, ok);
            }
            if (ok && !hasLongArray(request.variables, max, 0)) return;
            options.onReject?.('listInput');
            throw new GraphQLError(message, { extensions: { code: ErrorCode.BadUserInput, http: { status: 400 } } });
          },
        };
      },
    },
  };
}

function hasLongLiteralList(document: DocumentNode, max: number): boolean {
  let found = false;
  visit(document, {
    [Kind.LIST](node) {
      if (node.values.length > max) found = true;
    },
  });
  return found;
}

function hasLongArray(value: unknown, max: number, depth: number): boolean {
  // Variables come from JSON already bounded by the body limit; the depth guard only stops pathological nesting.
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.length > max || value.some((v) => hasLongArray(v, max, depth + 1));
  return Object.values(value).some((v) => hasLongArray(v, max, depth + 1));
}
