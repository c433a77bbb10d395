import { readFile } from 'node:fs/promises';
import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '@brigade/platform';
import { Kind, parse, type DirectiveNode, type DocumentNode } from 'graphql';

/**
 * Features that @apollo/gateway refuses to load ("is for: SECURITY but is unsupported") because only
 * Apollo Router enforces them, and that Brigade enforces itself (authorization/). Only the `for:` purpose
 * of these links is dropped: the directive applications stay in the schema for Brigade's own enforcement,
 * and the file on disk stays the one Apollo Router would load.
 */
const SELF_ENFORCED_FEATURES = ['authenticated', 'requiresScopes'];
/** SECURITY features @apollo/gateway enforces itself. */
const GATEWAY_ENFORCED_FEATURES = ['inaccessible'];

/** A supergraph that asks for a security feature nobody here enforces: loading it would ignore it silently. */
export class UnenforcedSecurityFeatureError extends Error {}

export function prepareForGateway(supergraphSdl: string): string {
  refuseUnenforcedSecurityFeatures(supergraphSdl);
  return supergraphSdl.replace(/@link\(url: "https:\/\/specs\.apollo\.dev\/([A-Za-z]+)\/v[\d.]+"[^)]*\)/g, (link, feature: string) =>
    SELF_ENFORCED_FEATURES.includes(feature) ? link.replace(/,\s*for:\s*[A-Z_]+/, '') : link,
  );
}

/**
 * Refuses `@policy` — or any `for: SECURITY` feature neither Brigade nor @apollo/gateway enforces — naming
 * the directive and every coordinate it is applied at, so a policy is never loaded and then ignored.
 */
export function refuseUnenforcedSecurityFeatures(supergraphSdl: string): void {
  const document = parse(supergraphSdl, { noLocation: true });
  const unenforced: { directive: string; url: string }[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const link of definition.directives ?? []) {
      if (link.name.value !== 'link') continue;
      const argument = (name: string) => link.arguments?.find((a) => a.name.value === name)?.value;
      const purpose = argument('for');
      const url = argument('url');
      if (purpose?.kind !== Kind.ENUM || purpose.value !== 'SECURITY' || url?.kind !== Kind.STRING) continue;
      const feature = /\/([A-Za-z_][A-Za-z0-9_]*)\/v[\d.]+\/?$/.exec(url.value)?.[1] ?? url.value;
      if (SELF_ENFORCED_FEATURES.includes(feature) || GATEWAY_ENFORCED_FEATURES.includes(feature)) continue;
      const renamed = argument('as');
      unenforced.push({ directive: renamed?.kind === Kind.STRING ? renamed.value : feature, url: url.value });
    }
  }
  if (unenforced.length === 0) return;
  const messages = unenforced.map(({ directive, url }) => {
    const at = coordinatesOf(document, directive);
    return `@${directive} (${url}, for: SECURITY) ${at.length ? `is applied on ${at.join(', ')}` : 'is linked'}`;
  });
  throw new UnenforcedSecurityFeatureError(
    `the supergraph uses security features Brigade does not enforce: ${messages.join('; ')}. ` +
      'Remove them, or enforce them in the gateway first; loading would silently ignore them.',
  );
}

/** Where `@name` (or a directive the feature namespaces as `name__…`) is applied: `Type`, `Type.field`, `Type.field(arg:)`. */
function coordinatesOf(document: DocumentNode, name: string): string[] {
  const matches = (directives: readonly DirectiveNode[] | undefined) =>
    (directives ?? []).some((d) => d.name.value === name || d.name.value.startsWith(`${name}__`));
  const found: string[] = [];
  for (const definition of document.definitions) {
    if (!('name' in definition) || !definition.name || definition.kind === Kind.DIRECTIVE_DEFINITION) continue;
    const type = definition.name.value;
    if ('directives' in definition && matches(definition.directives)) found.push(type);
    const members = [
      ...('fields' in definition ? (definition.fields ?? []) : []),
      ...('values' in definition ? (definition.values ?? []) : []),
    ];
    for (const member of members) {
      if (matches(member.directives)) found.push(`${type}.${member.name.value}`);
      for (const argument of 'arguments' in member ? (member.arguments ?? []) : []) {
        if (matches(argument.directives)) found.push(`${type}.${member.name.value}(${argument.name.value}:)`);
      }
    }
  }
  return found;
}

/**
 * Calls `onChange` with the new contents whenever the supergraph file changes. Watches the folder, not the
 * file, so editors and `npm run compose` that replace the file (rename over it) are seen too.
 */
export function watchSupergraph(path: string, initial: string, onChange: (sdl: string) => void, logger: Logger): () => void {
  let current = initial;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    try {
      const next = await readFile(path, 'utf8');
      if (next && next !== current) {
        current = next;
        onChange(next);
      }
    } catch (error) {
      logger.warn({ err: error, path }, 'supergraph unreadable; keeping the loaded one');
    }
  };
  const watcher = watch(dirname(path), (_event, file) => {
    if (file && file.toString() !== basename(path)) return;
    clearTimeout(timer);
    // Writers emit several events per save; read once they have settled.
    timer = setTimeout(check, 50);
  });
  watcher.on('error', (error) => logger.warn({ err: error }, 'supergraph watcher failed'));
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
