import {
  Kind,
  type DirectiveNode,
  type DocumentNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';

export type Variables = Readonly<Record<string, unknown>>;

/**
 * `@skip(if:)` / `@include(if:)` as graphql-js' executor decides them, with the request's variables (a
 * variable left out takes its declared default). A skipped selection is absent: no cost, no count, no
 * authorization error.
 */
export function isSkipped(
  directives: readonly DirectiveNode[] | undefined,
  operation: OperationDefinitionNode,
  variables: Variables,
): boolean {
  if (!directives || directives.length === 0) return false;
  for (const directive of directives) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const value = directive.arguments?.find((a) => a.name.value === 'if')?.value;
    const condition = value && booleanOf(value, operation, variables);
    if (name === 'skip' && condition === true) return true;
    if (name === 'include' && condition === false) return true;
  }
  return false;
}

function booleanOf(value: ValueNode, operation: OperationDefinitionNode, variables: Variables): boolean | undefined {
  if (value.kind === Kind.BOOLEAN) return value.value;
  if (value.kind !== Kind.VARIABLE) return undefined;
  const name = value.name.value;
  if (Object.hasOwn(variables, name)) {
    const given = variables[name];
    return typeof given === 'boolean' ? given : undefined;
  }
  const declared = operation.variableDefinitions?.find((d) => d.variable.name.value === name)?.defaultValue;
  return declared?.kind === Kind.BOOLEAN ? declared.value : undefined;
}

/** The operation a request runs: the named one, or the only one. */
export function selectOperation(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | undefined {
  let found: OperationDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (operationName == null) {
      if (found) return undefined;
      found = definition;
    } else if (definition.name?.value === operationName) {
      return definition;
    }
  }
  return found;
}

export function rootTypeOf(schema: GraphQLSchema, operation: OperationDefinitionNode): GraphQLObjectType | undefined {
  switch (operation.operation) {
    case 'query':
      return schema.getQueryType() ?? undefined;
    case 'mutation':
      return schema.getMutationType() ?? undefined;
    case 'subscription':
      return schema.getSubscriptionType() ?? undefined;
  }
}
