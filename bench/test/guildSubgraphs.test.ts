import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayRun } from '../guild/plan.js';
import type { GuildSubgraphs } from '../guild/subgraphs.js';

// The benchmark's data lives in ../shared beside the repository (as in CI), never in the repository itself.
const dataPresent = existsSync(fileURLToPath(new URL('../../../shared/bench/guild/request.json', import.meta.url)));

describe.skipIf(!dataPresent)('guild benchmark subgraphs', () => {
  let subgraphs: GuildSubgraphs;
  let url: string;
  let run: GatewayRun;
  let EXPECTED_RESPONSE_TEXT: string;
  let countFetches: typeof import('../guild/plan.js').countFetches;
  let toFloorPlan: typeof import('../guild/plan.js').toFloorPlan;

  beforeAll(async () => {
    ({ EXPECTED_RESPONSE_TEXT } = await import('../guild/data.js'));
    const plan = await import('../guild/plan.js');
    ({ countFetches, toFloorPlan } = plan);
    subgraphs = (await import('../guild/subgraphs.js')).createGuildSubgraphs();
    url = await subgraphs.listen(0);
    run = await plan.runThroughApolloGateway(url);
  });
  afterAll(() => subgraphs?.close());

  it('when TestQuery runs through plain Apollo Gateway, then the response deep-equals the published one', () => {
    expect(JSON.parse(JSON.stringify(run.result))).toStrictEqual(JSON.parse(EXPECTED_RESPONSE_TEXT));
  });

  it('when the plan is captured, then it has the 16 fetches the published plan has, all seen by the subgraphs', () => {
    expect(countFetches(toFloorPlan(run))).toBe(16);
    expect(run.fetches).toHaveLength(16);
    expect(subgraphs.stats().total).toBe(16);
  });

  it('when an identical body is sent again, then the memoised reply is byte-equal and nothing is executed', async () => {
    const first = run.fetches[0]!;
    const post = () =>
      fetch(`${url}/${first.service}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: first.body });
    const a = await (await post()).text();
    const executed = subgraphs.stats().executed;
    const b = await (await post()).text();
    expect(b).toBe(a);
    expect(subgraphs.stats().executed).toBe(executed);
  });

  it('when an entity of an unknown user is asked of accounts, then it answers an error, as the original does', async () => {
    const response = await fetch(`${url}/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { name } } }',
        variables: { r: [{ __typename: 'User', id: '99' }] },
      }),
    });
    const body = (await response.json()) as { errors?: unknown[] };
    expect(body.errors).toHaveLength(1);
  });

  it('when an unknown route is asked, then it is 404, and /health says OK', async () => {
    expect((await fetch(`${url}/nope`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect(await (await fetch(`${url}/health`)).text()).toBe('OK');
  });
});
