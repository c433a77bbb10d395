import { Supergraph } from '@apollo/federation-internals';
import type { GraphQLSchema } from 'graphql';
import { buildASTSchema, getNamedType, isInterfaceType, isObjectType } from 'graphql';
import { satisfiesScopes, type Viewer, ErrorCode } from '@brigade/platform';

/**
 * What one field or type demands of the caller. Several directive applications (on the field, its
 * return type, the implementations of an interface field) must ALL hold, hence a list of
 * OR-of-AND scope sets rather than one merged set.
 */
export interface Requirement {
  readonly authenticated: boolean;
  readonly scopes: readonly (readonly (readonly string[])[])[];
}

export type DenialCode = typeof ErrorCode.Unauthenticated | typeof ErrorCode.Forbidden;

export interface AuthorizationPolicy {
  /** The API schema (what clients see), for type information while filtering. */
  readonly schema: GraphQLSchema;
  /** Effective requirement of selecting `Type.field`, already including return and implementation types. */
  readonly fields: ReadonlyMap<string, Requirement>;
  /** Type-level requirement of object/interface types, checked at fragment type conditions. */
  readonly types: ReadonlyMap<string, Requirement>;
  /** Every scope set of the schema: a viewer that satisfies all of them sees everything. */
  readonly allScopes: readonly (readonly (readonly string[])[])[];
  /** Every scope named anywhere; a viewer's other scopes cannot change a decision. */
  readonly relevantScopes: readonly string[];
  /** Some field or type is explicitly `@authenticated`: an API key (no user) cannot see everything. */
}

const AUTHENTICATED_IDENTITY = 'https://specs.apollo.dev/authenticated';
const REQUIRES_SCOPES_IDENTITY = 'https://specs.apollo.dev/requiresScopes';

interface MutableRequirement {
  authenticated: boolean;
  scopes: (readonly (readonly string[])[])[];
}

/**
 * Reads `@authenticated` / `@requiresScopes` from the supergraph (the API schema drops them) once per
 * schema load. Directive names are resolved through the supergraph's `@link`s, so a renamed import still works.
 */
export function buildAuthorizationPolicy(supergraphSdl: string): AuthorizationPolicy {
  // The gateway refuses SECURITY features; here we only read them, so every feature is accepted.
  const supergraph = Supergraph.build(supergraphSdl, { supportedFeatures: null });
  // Rebuilt with our own graphql module: federation-internals loads graphql's CommonJS build, whose
  // schema objects fail graphql's instanceof checks in this ESM realm.
  const schema = buildASTSchema(supergraph.apiSchema().toAST());
  const source = supergraph.schema;
  const authName = source.coreFeatures?.getByIdentity(AUTHENTICATED_IDENTITY)?.directiveNameInSchema('authenticated');
  const scopesName = source.coreFeatures?.getByIdentity(REQUIRES_SCOPES_IDENTITY)?.directiveNameInSchema('requiresScopes');

  const own = new Map<string, MutableRequirement>();
  const read = (element: DirectiveHolder): MutableRequirement | undefined => directivesOf(element, authName, scopesName);
  for (const type of source.types()) {
    const typeReq = read(type);
    if (typeReq) own.set(type.name, typeReq);
    if (type.kind === 'ObjectType' || type.kind === 'InterfaceType') {
      for (const field of type.fields()) {
        const fieldReq = read(field);
        if (fieldReq) own.set(`${type.name}.${field.name}`, fieldReq);
      }
    }
  }

  const fields = new Map<string, Requirement>();
  const types = new Map<string, Requirement>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const typeReq = own.get(type.name);
    if (typeReq && (isObjectType(type) || isInterfaceType(type))) types.set(type.name, typeReq);
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const parts: MutableRequirement[] = [];
      const add = (r: MutableRequirement | undefined): void => {
        if (r) parts.push(r);
      };
      add(own.get(`${type.name}.${field.name}`));
      add(own.get(getNamedType(field.type).name));
      if (isInterfaceType(type)) {
        // Router is conservative: a field read through an interface is hidden if any implementation
        // (its field, or the implementing type itself) asks more than the caller has.
        for (const impl of schema.getPossibleTypes(type)) {
          add(own.get(`${impl.name}.${field.name}`));
          add(own.get(impl.name));
        }
      }
      const merged = merge(parts);
      if (merged) fields.set(`${type.name}.${field.name}`, merged);
    }
  }

  const distinct = new Map<string, readonly (readonly string[])[]>();
  for (const requirement of own.values()) {
    for (const anyOf of requirement.scopes) distinct.set(JSON.stringify(anyOf), anyOf);
  }
  const allScopes = [...distinct.values()];
  const relevantScopes = [...new Set(allScopes.flat(2))].sort();
  return { schema, fields, types, allScopes, relevantScopes };
}

/** The part of federation-internals' types and fields this module reads. */
interface DirectiveHolder {
  // Mirrors federation-internals, which types directive arguments as any.
  appliedDirectivesOf(name: string): readonly { arguments(): { [key: string]: any } }[];
}

function directivesOf(
  element: DirectiveHolder,
  authName: string | undefined,
  scopesName: string | undefined,
): MutableRequirement | undefined {
  const authenticated = authName !== undefined && element.appliedDirectivesOf(authName).length > 0;
  const scopes: (readonly (readonly string[])[])[] = [];
  if (scopesName !== undefined) {
    for (const application of element.appliedDirectivesOf(scopesName)) {
      scopes.push(application.arguments().scopes as string[][]);
    }
  }
  return authenticated || scopes.length > 0 ? { authenticated, scopes } : undefined;
}

function merge(parts: readonly MutableRequirement[]): Requirement | undefined {
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  return { authenticated: parts.some((p) => p.authenticated), scopes: parts.flatMap((p) => p.scopes) };
}

/** Why the viewer may not select something with this requirement, or undefined when it may. */
export function deny(requirement: Requirement, viewer: Viewer): DenialCode | undefined {
  if (viewer.kind === 'anonymous') return ErrorCode.Unauthenticated;
  for (const anyOf of requirement.scopes) {
    if (!satisfiesScopes(viewer, anyOf)) return ErrorCode.Forbidden;
  }
  return undefined;
}

export function seesEverything(policy: AuthorizationPolicy, viewer: Viewer): boolean {
  if (viewer.kind === 'anonymous') return policy.fields.size === 0 && policy.types.size === 0;
  return policy.allScopes.every((anyOf) => satisfiesScopes(viewer, anyOf));
}

/** Viewers in the same class get the same decisions everywhere in the schema. */
export function permissionClass(policy: AuthorizationPolicy, viewer: Viewer): string {
  if (viewer.kind === 'anonymous') return 'anonymous';
  let key = viewer.kind;
  for (const scope of policy.relevantScopes) if (viewer.scopes.has(scope)) key += ` ${scope}`;
  return key;
}
