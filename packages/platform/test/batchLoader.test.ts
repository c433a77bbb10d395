import { describe, expect, it } from 'vitest';
import { BatchLoader } from '../src/batchLoader.js';

describe('BatchLoader', () => {
  it('when keys are loaded in one tick, then one call answers them all, repeats once, unknown ones as undefined', async () => {
    const calls: string[][] = [];
    const loader = new BatchLoader<string, number>(async (keys) => {
      calls.push([...keys]);
      return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.length]));
    });
    expect(await Promise.all(['a', 'bb', 'a', 'missing'].map((k) => loader.load(k)))).toEqual([1, 2, 1, undefined]);
    expect(calls).toEqual([['a', 'bb', 'missing']]);
    expect(await loader.load('a')).toBe(1);
    expect(calls).toHaveLength(1);
    await loader.load('c');
    expect(calls).toHaveLength(2);
  });

  it('when keys are asked from sibling resolvers awaiting first, then they still share one call', async () => {
    const calls: string[][] = [];
    const loader = new BatchLoader<string, string>(async (keys) => {
      calls.push([...keys]);
      return new Map(keys.map((k) => [k, k]));
    });
    const sibling = async (key: string) => {
      await Promise.resolve();
      return loader.load(key);
    };
    expect(await Promise.all([loader.load('x'), sibling('y'), sibling('z')])).toEqual(['x', 'y', 'z']);
    expect(calls).toEqual([['x', 'y', 'z']]);
  });

  it('when the call fails, then every waiting load fails and a later load retries', async () => {
    let fail = true;
    let calls = 0;
    const loader = new BatchLoader<string, string>(async () => {
      calls++;
      if (fail) throw new Error('down');
      return new Map();
    });
    await expect(loader.loadAll(['x', 'y'])).rejects.toThrow('down');
    expect(calls).toBe(1);
    fail = false;
    expect(await loader.loadAll(['x', 'y', 'x'])).toEqual([undefined, undefined, undefined]);
    expect(calls).toBe(2);
  });

  it('when a value is primed, then loading it calls nothing', async () => {
    let calls = 0;
    const loader = new BatchLoader<string, number>(async () => {
      calls++;
      return new Map();
    });
    loader.prime('p', 7);
    expect(await loader.load('p')).toBe(7);
    expect(calls).toBe(0);
  });
});
