/**
 * The web app's Apollo persisted query manifest (written by build.ts as dist/persisted-query-manifest.json), the list the
 * production gateway's safelist loads (`PERSISTED_OPERATIONS`). Every operation the app knows is sent through
 * the app's own Apollo Client — the same links, cache and printer it runs with — into a link that records the
 * text instead of sending it, so each entry's body is byte for byte what the app sends and its id (sha256 of
 * the body) is what the gateway computes.
 */
import { ApolloLink } from '@apollo/client';
import { Kind, OperationTypeNode, print, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { createHash } from 'node:crypto';
import { Observable } from 'rxjs';
import { createApolloClient, printOperation } from '../src/api/client.js';
import { SessionStore } from '../src/api/session.js';
import * as generated from '../src/graphql/generated.js';

export interface ManifestOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

export interface PersistedQueryManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: ManifestOperation[];
}

function operationOf(document: DocumentNode): OperationDefinitionNode | undefined {
  return document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
}

export async function buildManifest(): Promise<PersistedQueryManifest> {
  const documents = Object.entries(generated)
    .filter(([name, value]) => name.endsWith('Document') && typeof value === 'object' && operationOf(value as DocumentNode))
    .map(([, value]) => value as DocumentNode);
  const captured = new Map<string, ManifestOperation>();
  const capture = new ApolloLink((operation) => {
    const body = printOperation(operation.query, print);
    const definition = operationOf(operation.query)!;
    captured.set(definition.name!.value, {
      id: createHash('sha256').update(body).digest('hex'),
      name: definition.name!.value,
      type: definition.operation,
      body,
    });
    return new Observable<ApolloLink.Result>((observer) => {
      observer.next({ data: null });
      observer.complete();
    });
  });
  const session = new SessionStore({ refresh: async () => ({ kind: 'refused' }) });
  const client = createApolloClient({ graphqlUrl: 'http://manifest.invalid/graphql', session, transport: capture });
  for (const document of documents) {
    const definition = operationOf(document)!;
    switch (definition.operation) {
      case OperationTypeNode.QUERY:
        await client.query({ query: document, fetchPolicy: 'no-cache' }).catch(() => undefined);
        break;
      case OperationTypeNode.MUTATION:
        await client.mutate({ mutation: document, fetchPolicy: 'no-cache' }).catch(() => undefined);
        break;
      case OperationTypeNode.SUBSCRIPTION:
        await new Promise<void>((done) => {
          const subscription = client.subscribe({ query: document, fetchPolicy: 'no-cache' }).subscribe({
            next: () => {
              subscription.unsubscribe();
              done();
            },
            error: () => done(),
            complete: () => done(),
          });
        });
        break;
    }
    if (!captured.has(definition.name!.value)) throw new Error(`operation ${definition.name!.value} never reached the transport`);
  }
  const operations = [...captured.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}
