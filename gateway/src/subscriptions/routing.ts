import {
  getNamedType,
  isAbstractType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type ObjectTypeDefinitionNode,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';

/**
 * How the gateway serves one `Subscription` field: which subgraph owns it (the gateway subscribes there
 * for the event: the entity's key, and its `version` when it has one), and which `Query` field fetches the
 * same entity again by id, so each event resolves through the whole supergraph like a query.
 */
export interface LiveField {
  readonly field: string;
  /** The owning subgraph's name (as in the supergraph) and its routing URL from the supergraph. */
  readonly subgraph: string;
  readonly url: string;
  /** The object type the field returns. */
  readonly typeName: string;
  readonly keyField: string;
  /** The type has `version` in the owning subgraph: events not newer than the last delivered are dropped. */
  readonly versioned: boolean;
  /** `Query.<field>(<argument>: ID!)` returning the type (or an interface/union holding it). */
  readonly hydrate?: { readonly field: string; readonly argument: string };
}

/** Reads the live fields of a supergraph (its join__ directives) against the API schema the gateway serves. */
export function liveFieldsOf(coreSupergraphSdl: string, apiSchema: GraphQLSchema): Map<string, LiveField> {
  const document = parse(coreSupergraphSdl, { noLocation: true });
  const graphs = new Map<string, { name: string; url: string }>();
  const types = new Map<string, ObjectTypeDefinitionNode>();
  for (const def of document.definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION && def.name.value === 'join__Graph') {
      for (const value of def.values ?? []) {
        const graph = directive(value.directives, 'join__graph');
        const name = stringArg(graph, 'name');
        const url = stringArg(graph, 'url');
        if (name && url) graphs.set(value.name.value, { name, url });
      }
    }
    if (def.kind === Kind.OBJECT_TYPE_DEFINITION) types.set(def.name.value, def);
  }
  const fields = new Map<string, LiveField>();
  const subscription = types.get(apiSchema.getSubscriptionType()?.name ?? 'Subscription');
  for (const field of subscription?.fields ?? []) {
    const ownerGraphs = joinGraphs(field.directives, 'join__field');
    const graphId = ownerGraphs[0] ?? joinGraphs(subscription!.directives, 'join__type')[0];
    const graph = graphId ? graphs.get(graphId) : undefined;
    const apiField = apiSchema.getSubscriptionType()?.getFields()[field.name.value];
    if (!graph || !graphId || !apiField) continue;
    // Only an entity returned on its own (not a list) can be fetched again by its key.
    const unwrapped = isNonNullType(apiField.type) ? apiField.type.ofType : apiField.type;
    if (isListType(unwrapped) || !isObjectType(unwrapped)) continue;
    const typeName = unwrapped.name;
    const typeDef = types.get(typeName);
    const key = typeDef?.directives
      ?.filter((d) => d.name.value === 'join__type' && enumArg(d, 'graph') === graphId)
      .map((d) => stringArg(d, 'key'))
      .find((k): k is string => !!k && /^\s*[_A-Za-z]\w*\s*$/.test(k))
      ?.trim();
    if (!typeDef || !key) continue;
    const version = typeDef.fields?.find((f) => f.name.value === 'version');
    const versionGraphs = version ? joinGraphs(version.directives, 'join__field') : [];
    fields.set(field.name.value, {
      field: field.name.value,
      subgraph: graph.name,
      url: graph.url,
      typeName,
      keyField: key,
      versioned: !!version && (versionGraphs.length === 0 || versionGraphs.includes(graphId)),
      hydrate: hydrateFieldFor(apiSchema, typeName),
    });
  }
  return fields;
}

function hydrateFieldFor(schema: GraphQLSchema, typeName: string): LiveField['hydrate'] {
  const type = schema.getType(typeName);
  if (!type || !isObjectType(type)) return undefined;
  let fallback: LiveField['hydrate'];
  for (const field of Object.values(schema.getQueryType()?.getFields() ?? {})) {
    const required = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
    const idArg =
      required.length === 1 && isNonNullType(required[0]!.type) && getNamedType(required[0]!.type).name === 'ID' ? required[0]! : undefined;
    if (!idArg) continue;
    const returned = getNamedType(field.type);
    if (isListType(isNonNullType(field.type) ? field.type.ofType : field.type)) continue;
    if (returned === type) return { field: field.name, argument: idArg.name };
    if (isAbstractType(returned) && schema.isSubType(returned, type)) fallback ??= { field: field.name, argument: idArg.name };
  }
  return fallback;
}

/** The variable that carries the event's key into the hydrating query. */
export const LIVE_KEY_VARIABLE = '__liveKey';

/**
 * The query equivalent to one event of a subscription: the subscribed field's selection, asked of the
 * entity the event names — same response key, same fragments and variables. The client's own document
 * decides the shape, so an event is exactly what a query would have answered.
 */
export function hydratingDocument(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  root: FieldNode,
  live: LiveField,
  subscriptionType: string,
): DocumentNode {
  const hydrate = live.hydrate!;
  const variable: VariableDefinitionNode = {
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: LIVE_KEY_VARIABLE } },
    type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
  };
  const field: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: (root.alias ?? root.name).value },
    name: { kind: Kind.NAME, value: hydrate.field },
    arguments: [
      {
        kind: Kind.ARGUMENT,
        name: { kind: Kind.NAME, value: hydrate.argument },
        value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: LIVE_KEY_VARIABLE } },
      },
    ],
    directives: root.directives ?? [],
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: [
        {
          kind: Kind.INLINE_FRAGMENT,
          typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: live.typeName } },
          selectionSet: root.selectionSet!,
        },
      ],
    },
  };
  const query: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: 'query' as OperationDefinitionNode['operation'],
    name: { kind: Kind.NAME, value: `${operation.name?.value ?? 'Live'}Event` },
    variableDefinitions: [...(operation.variableDefinitions ?? []), variable],
    directives: [],
    selectionSet: { kind: Kind.SELECTION_SET, selections: [field] },
  };
  // Fragments on the subscription type itself have no place in a query (nor any use there).
  const fragments = document.definitions.filter(
    (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.typeCondition.name.value !== subscriptionType,
  );
  return { kind: Kind.DOCUMENT, definitions: [query, ...fragments] };
}

/** The one field a subscription selects at its root, when it selects it directly. */
export function rootFieldOf(operation: OperationDefinitionNode): FieldNode | undefined {
  const selections = operation.selectionSet.selections.filter((s) => !(s.kind === Kind.FIELD && s.name.value === '__typename'));
  const only = selections.length === 1 ? selections[0] : undefined;
  return only?.kind === Kind.FIELD && only.selectionSet ? only : undefined;
}

function directive(directives: readonly ConstDirectiveNode[] | undefined, name: string): ConstDirectiveNode | undefined {
  return directives?.find((d) => d.name.value === name);
}

function stringArg(d: ConstDirectiveNode | undefined, name: string): string | undefined {
  const value = d?.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

function enumArg(d: ConstDirectiveNode, name: string): string | undefined {
  const value = d.arguments?.find((a) => a.name.value === name)?.value;
  return value?.kind === Kind.ENUM ? value.value : undefined;
}

function joinGraphs(directives: readonly ConstDirectiveNode[] | undefined, name: string): string[] {
  return (directives ?? [])
    .filter((d) => d.name.value === name)
    .map((d) => enumArg(d, 'graph'))
    .filter((g): g is string => !!g);
}
