import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import {
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { graphqlRuntime } from './graphqlRuntime.js';

const { GraphQLError } = graphqlRuntime;

export interface OperationLimitsOptions {
  /** `MAX_DEPTH` (default 12): nesting of fields; fragments do not add a level. */
  maxDepth?: number;
  /** `MAX_ALIASES` (default 30): aliases per operation, `__typename` aliases included. */
  maxAliases?: number;
  /** `MAX_ROOT_FIELDS` (default 20): top-level fields per operation, through fragments too. */
  maxRootFields?: number;
  /** `MAX_DIRECTIVES` (default 50): directive applications per operation. */
  maxDirectives?: number;
  /** `MAX_TOKENS` (default 2000): lexical tokens per document; enforced by the parser itself. */
  maxTokens?: number;
  /** `MAX_COST` (default 5000): see cost.ts. */
  maxCost?: number;
  /** `COST_DEFAULT_LIST_SIZE` (default 10): assumed length of a list without `@listSize`. */
  defaultListSize?: number;
  /** `MAX_LIST_INPUT` (default 100): longest list accepted in arguments or variables. */
  maxListInput?: number;
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
  maxDirectives: 50,
  maxTokens: 2_000,
  maxCost: 5_000,
  defaultListSize: 10,
  maxListInput: 100,
  maxValidationErrors: 5,
} as const;

/** What a client sees in production: that a limit was hit, never which number to stay under. */
export const LIMIT_EXCEEDED_MESSAGE = 'Operation exceeds the allowed limits.';

/**
 * Validation rules for the structural limits. Apollo Server runs them once per distinct document (it caches
 * validated documents by hash) and before any query planning, so an abusive document costs one walk.
 * Apollo reports them as GRAPHQL_VALIDATION_FAILED with HTTP 400.
 */
export function operationLimitRules(options: OperationLimitsOptions = {}): ValidationRule[] {
  const o = { ...OPERATION_LIMIT_DEFAULTS, ...definedOnly(options) };
  const expose = options.exposeLimits ?? false;
  // graphql-armor's rules throw out of validate() by default (a 500 in Apollo); report through the context.
  const report = (limit: string): GraphQLArmorRejectCallback => (context, error) => {
    options.onReject?.(limit);
    context?.reportError(new GraphQLError(expose ? error.message.replace(/^Syntax Error: /, '') : LIMIT_EXCEEDED_MESSAGE));
  };
  const common = { exposeLimits: true, propagateOnRejection: false } as const;
  return [
    maxDepthRule({ ...common, n: o.maxDepth, flattenFragments: true, onReject: [report('depth')] }),
    maxAliasesRule({ ...common, n: o.maxAliases, allowList: [], onReject: [report('aliases')] }),
    maxDirectivesRule({ ...common, n: o.maxDirectives, onReject: [report('directives')] }),
    maxRootFieldsRule(o.maxRootFields, expose, options.onReject),
  ];
}

/** Top-level fields of each operation, counting those reached through fragments, each fragment once per spread. */
export function maxRootFieldsRule(max: number, expose: boolean, onReject?: (limit: string) => void): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const count = countFields(operation.selectionSet, context, new Set());
      if (count <= max) return;
      onReject?.('rootFields');
      context.reportError(
        new GraphQLError(expose ? `Root fields limit of ${max} exceeded, found ${count}.` : LIMIT_EXCEEDED_MESSAGE, {
          nodes: [operation],
        }),
      );
    },
  });
}

function countFields(selectionSet: SelectionSetNode, context: ValidationContext, seen: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count++;
    else if (selection.kind === Kind.INLINE_FRAGMENT) count += countFields(selection.selectionSet, context, seen);
    else if (!seen.has(selection.name.value)) {
      // A fragment cycle is its own validation error; counting stops at the second visit.
      const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(selection.name.value);
      if (fragment) count += countFields(fragment.selectionSet, context, new Set([...seen, selection.name.value]));
    }
  }
  return count;
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
