import { describe, expect, it } from 'vitest';
import { StockLoader } from '../src/data/stockLoader.js';
import type { StockRepository } from '../src/data/stockRepository.js';

describe('StockLoader', () => {
  it('when many ids are loaded in one tick, then one query answers them all, unknown ones as 0', async () => {
    const calls: string[][] = [];
    const repository = {
      quantities: async (ids: readonly string[]) => {
        calls.push([...ids]);
        return new Map([['a', 3]]);
      },
    } as unknown as StockRepository;
    const loader = new StockLoader(repository);
    expect(await Promise.all(['a', 'b', 'a'].map((id) => loader.load(id)))).toEqual([3, 0, 3]);
    expect(calls).toEqual([['a', 'b']]);
    expect(await loader.load('a')).toBe(3);
    expect(calls).toHaveLength(1);
  });
});
