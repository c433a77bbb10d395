import { ErrorCode } from '@brigade/platform';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import type { GraphQLFormattedError, ValidationRule } from 'graphql';
import type { Analysis } from '../analysis/index.js';
import { graphqlRuntime } from '../graphqlRuntime.js';
import type { GatewayPlugin } from '../pipeline.js';

const { GraphQLError } = graphqlRuntime;

export interface OperationLimitsOptions {
  /** `MAX_DEPTH` (default 12): nesting of fields; fragments do not add a level. */
  maxDepth?: number;
  /** `MAX_ALIASES` (default 30): aliases per operation, `__typename` aliases included. */
  maxAliases?: number;
  /** `MAX_ROOT_FIELDS` (default 20): top-level fields per operation, each fragment counted once per spread. */
  maxRootFields?: number;
  /**
   * `MAX_SELECTIONS` (default 2000): field selections of the operation at every depth, each fragment counted
   * once per spread. The query planner works through that many, so it bounds planning time.
   */
  maxSelections?: number;
  /** `MAX_DIRECTIVES` (default 50): directive applications per operation. */
  maxDirectives?: number;
  /** `MAX_TOKENS` (default 2000): lexical tokens per document; enforced by the parser itself. */
  maxTokens?: number;
  /**
   * `MAX_VALIDATION_ERRORS` (default 5): validation stops after this many errors, so a document of a
   * thousand unknown directives or fields costs five errors, not a thousand (directive overloading).
   */
  maxValidationErrors?: number;
  /** `EXPOSE_LIMITS` (default: not production): say which limit and its number in the error. */
  exposeLimits?: boolean;
  /** Called with the limit's name on every refusal (metrics). */
  onReject?: (limit: string) => void;
}

export const OPERATION_LIMIT_DEFAULTS = {
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 20,
  maxSelections: 2_000,
  maxDirectives: 50,
  maxTokens: 2_000,
  maxValidationErrors: 5,
} as const;

/** What a client sees in production: that a limit was hit, never which number to stay under. */
export const LIMIT_EXCEEDED_MESSAGE = 'Operation exceeds the allowed limits.';

/**
 * The structural limits. Depth, aliases and directives are graphql-armor's validation rules (Apollo runs them
 * once per distinct document, before any planning; they memoise fragments). The root-field count comes from
 * the operation analysis (analysis/), which never expands a fragment and stops at the limit; tokens are
 * bounded by the parser itself. Refusals are GRAPHQL_VALIDATION_FAILED with HTTP 400.
 */
export function operationLimitsPlugin(options: OperationLimitsOptions & { analysis: Analysis }): GatewayPlugin {
  const o = { ...OPERATION_LIMIT_DEFAULTS, ...definedOnly(options) };
  const expose = options.exposeLimits ?? false;
  return {
    name: 'operationLimits',
    apolloOptions: {
      validationRules: operationLimitRules(options),
      parseOptions: { maxTokens: o.maxTokens },
      validationOptions: { maxErrors: o.maxValidationErrors },
    },
    apollo: {
      async requestDidStart() {
        return {
          async didResolveOperation({ contextValue, document, operationName, request }) {
            const analysis = options.analysis.of({ context: contextValue, document, operationName, variables: request.variables });
            const exceeded = analysis?.exceeded;
            if (exceeded !== 'rootFields' && exceeded !== 'selections') return;
            options.onReject?.(exceeded);
            const which = exceeded === 'rootFields' ? `Root fields limit of ${o.maxRootFields}` : `Selections limit of ${o.maxSelections}`;
            throw limitError(expose ? `${which} exceeded.` : LIMIT_EXCEEDED_MESSAGE);
          },
        };
      },
    },
  };
}

/** A limit refusal as Apollo reports validation failures: 400 GRAPHQL_VALIDATION_FAILED. */
export function limitError(message: string) {
  return new GraphQLError(message, { extensions: { code: ErrorCode.GraphqlValidationFailed, http: { status: 400 } } });
}

/** graphql-armor's depth, alias and directive rules, reporting through the validation context. */
export function operationLimitRules(options: OperationLimitsOptions = {}): ValidationRule[] {
  const o = { ...OPERATION_LIMIT_DEFAULTS, ...definedOnly(options) };
  const expose = options.exposeLimits ?? false;
  // graphql-armor's rules throw out of validate() by default (a 500 in Apollo); report through the context.
  const report =
    (limit: string): GraphQLArmorRejectCallback =>
    (context, error) => {
      options.onReject?.(limit);
      context?.reportError(new GraphQLError(expose ? error.message.replace(/^Syntax Error: /, '') : LIMIT_EXCEEDED_MESSAGE));
    };
  const common = { exposeLimits: true, propagateOnRejection: false } as const;
  return [
    maxDepthRule({ ...common, n: o.maxDepth, flattenFragments: true, onReject: [report('depth')] }),
    maxAliasesRule({ ...common, n: o.maxAliases, allowList: [], onReject: [report('aliases')] }),
    maxDirectivesRule({ ...common, n: o.maxDirectives, onReject: [report('directives')] }),
  ];
}

// graphql-js words it "more that" in 16.x; accept either spelling.
const TOKEN_LIMIT = /^Syntax Error: Document contains more tha[nt] \d+ tokens\. Parsing aborted\.$/;
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/**
 * Removes the numbers graphql-js' own token limit puts in its message, and "Did you mean …" hints that
 * would let a client map a schema whose introspection is off. Runs before the platform's masking formatter.
 */
export function redactLimitDetails(
  formatted: GraphQLFormattedError,
  options: { exposeLimits: boolean; hideSuggestions: boolean },
): GraphQLFormattedError {
  let message = formatted.message;
  if (!options.exposeLimits && TOKEN_LIMIT.test(message)) message = LIMIT_EXCEEDED_MESSAGE;
  if (options.hideSuggestions) message = message.replace(SUGGESTION, '');
  return message === formatted.message ? formatted : { ...formatted, message };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
