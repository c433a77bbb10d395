import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { DEFAULT_PASSWORD_HASH_COST, Passwords } from '../src/domain/passwords.js';
import { generateKeyring } from '@brigade/platform';

describe('password hashes', () => {
  it('when hashed at the default cost, then it is scrypt with N=2^15, r=8, p=1 and a fresh salt each time', async () => {
    const passwords = new Passwords();
    const [first, second] = [await passwords.hash('correct horse'), await passwords.hash('correct horse')];
    expect(first.split('$').slice(0, 4)).toEqual(['scrypt', String(2 ** 15), '8', '1']);
    expect(first).not.toBe(second);
    expect(await passwords.verify('correct horse', first)).toBe(true);
    expect(await passwords.verify('correct horse!', first)).toBe(false);
  });

  it('when the cost changes, then new hashes use it and the stored ones still verify at the cost they record', async () => {
    const cheap = await new Passwords(10).hash('battery staple');
    expect(cheap.split('$')[1]).toBe(String(2 ** 10));
    expect(await new Passwords(DEFAULT_PASSWORD_HASH_COST).verify('battery staple', cheap)).toBe(true);
    const dear = await new Passwords(DEFAULT_PASSWORD_HASH_COST).hash('battery staple');
    expect(await new Passwords(10).verify('battery staple', dear)).toBe(true);
  });

  it('when the stored value is not a hash of ours, then nothing verifies against it', async () => {
    const passwords = new Passwords(10);
    for (const stored of ['', 'plain', 'scrypt$0$8$1$c2FsdA$aGFzaA', 'bcrypt$10$8$1$c2FsdA$aGFzaA', 'scrypt$x$8$1$c2FsdA$aGFzaA']) {
      expect(await passwords.verify('anything', stored)).toBe(false);
    }
  });

  it('when PASSWORD_HASH_COST is outside 10–20 or not a number, then auth refuses to start naming it', async () => {
    const keyring = await generateKeyring();
    const env = {
      DATA_DIR: 'memory',
      SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys.auth),
      SERVICE_TRUSTED_KEYS: JSON.stringify(keyring.trusted),
    };
    expect((await loadConfig(env)).passwordHashCost).toBe(15);
    expect((await loadConfig({ ...env, PASSWORD_HASH_COST: '12' })).passwordHashCost).toBe(12);
    for (const bad of ['9', '21', 'fast']) {
      await expect(loadConfig({ ...env, PASSWORD_HASH_COST: bad })).rejects.toThrow('PASSWORD_HASH_COST');
    }
  });
});
