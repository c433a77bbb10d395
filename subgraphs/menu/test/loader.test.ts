import { describe, expect, it } from 'vitest';
import { MenuItemLoader } from '../src/data/menuItemLoader.js';
import type { MenuRepository } from '../src/data/menuRepository.js';

describe('MenuItemLoader', () => {
  it('when the query fails, then every waiting load fails and a later load retries', async () => {
    let fail = true;
    let calls = 0;
    const repository = {
      byIds: async () => {
        calls++;
        if (fail) throw new Error('down');
        return new Map();
      },
    } as unknown as MenuRepository;
    const loader = new MenuItemLoader(repository);
    await expect(loader.loadMany(['x', 'y'])).rejects.toThrow('down');
    expect(calls).toBe(1);
    fail = false;
    expect(await loader.loadMany(['x', 'y', 'x'])).toEqual([null, null, null]);
    expect(calls).toBe(2);
  });
});
