import { ApolloGateway } from '@apollo/gateway';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prepareForGateway, UnenforcedSecurityFeatureError } from '../src/supergraph.js';

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

describe('security features Brigade does not enforce', () => {
  const withPolicy = supergraph
    .replace(
      '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)',
      '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)\n  @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)',
    )
    .replace(/(\n\s*me: User[^\n]*@authenticated)/, '$1 @policy(policies: [["admins"]])')
    .replace(/(type Order\n)/, '$1  @policy(policies: [["kitchen"]])\n');

  it('when the committed supergraph is prepared, then it loads', () => {
    expect(() => prepareForGateway(supergraph)).not.toThrow();
  });

  it('when a supergraph applies @policy, then it is refused naming the directive and every coordinate', () => {
    expect(withPolicy).toContain('@policy(policies: [["admins"]])');
    expect(() => prepareForGateway(withPolicy)).toThrow(UnenforcedSecurityFeatureError);
    expect(() => prepareForGateway(withPolicy)).toThrow(
      /@policy \(https:\/\/specs\.apollo\.dev\/policy\/v0\.1, for: SECURITY\) is applied on Order, Query\.me/,
    );
  });

  it('when another SECURITY feature is linked under a new name, even unused, then it is refused by that name', () => {
    const renamed = supergraph.replace(
      '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)',
      '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)\n  @link(url: "https://example.com/audit/v1.0", as: "audited", for: SECURITY)',
    );
    expect(() => prepareForGateway(renamed)).toThrow(/@audited \(https:\/\/example\.com\/audit\/v1\.0, for: SECURITY\) is linked/);
  });

  it('when a gateway is started on a supergraph with @policy, then it does not start and says why', async () => {
    const gateway = new ApolloGateway({ supergraphSdl: () => Promise.resolve({ supergraphSdl: prepareForGateway(withPolicy) }) });
    await expect(gateway.load()).rejects.toThrow(/@policy/);
  });
});
