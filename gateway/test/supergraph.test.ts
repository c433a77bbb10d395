import { ApolloGateway } from '@apollo/gateway';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prepareForGateway } from '../src/supergraph.js';

const supergraph = readFileSync(new URL('../../supergraph.graphql', import.meta.url), 'utf8');

describe('prepareForGateway', () => {
  it('when the supergraph links @authenticated/@requiresScopes for SECURITY, then @apollo/gateway refuses it as is', async () => {
    const gateway = new ApolloGateway({ supergraphSdl: supergraph });
    await expect(gateway.load()).rejects.toThrow(/is for: SECURITY but is unsupported/);
  });

  it('when prepared, then the gateway loads it and the directive applications are kept for Brigade to enforce', async () => {
    const prepared = prepareForGateway(supergraph);
    expect(prepared).toContain('@link(url: "https://specs.apollo.dev/authenticated/v0.1")');
    expect(prepared).toContain('@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)');
    expect(prepared.match(/@authenticated/g)!.length).toBe(supergraph.match(/@authenticated/g)!.length);
    const gateway = new ApolloGateway({ supergraphSdl: prepared });
    const { schema } = await gateway.load();
    expect(schema.getQueryType()!.getFields().menu).toBeDefined();
    // @inaccessible stays enforced by the gateway: the station's internal API is not in the public schema.
    expect(schema.getMutationType()!.getFields().reserveStock).toBeUndefined();
    await gateway.stop();
  });
});
