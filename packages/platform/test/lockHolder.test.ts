import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { holderStamp, liveHolder } from '../src/db/lockHolder.js';

const onLinux = process.platform === 'linux';

describe('lock holder stamps', () => {
  it('when a process stamps a lock, then the stamp names it while it lives and nobody once it has exited', async () => {
    expect(liveHolder(holderStamp())).toBe(process.pid);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const stamp = holderStamp(child.pid);
    expect(liveHolder(stamp)).toBe(child.pid);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(liveHolder(stamp)).toBeUndefined();
  });

  it.runIf(onLinux)('when a live process has the pid but started at another time, then it is not the holder (a reused pid)', () => {
    expect(holderStamp()).toMatch(new RegExp(`^${process.pid}@\\d+$`));
    const [, started] = holderStamp().split('@');
    expect(liveHolder(`${process.pid}@${Number(started) + 1}`)).toBeUndefined();
    expect(liveHolder(`${process.ppid}@0`)).toBeUndefined();
  });

  it('when a lock holds a bare pid (written by an earlier version), then a live process with it is trusted as the holder', () => {
    expect(liveHolder(String(process.pid))).toBe(process.pid);
    expect(liveHolder(` ${process.pid}\n`)).toBe(process.pid);
  });

  it('when a lock holds no stamp, then it names nobody and signals nothing (0 and -1 would reach a process group)', () => {
    for (const junk of ['', '0', '-1', `-${process.pid}`, 'abc', `${process.pid}@`, `${process.pid}@x`, '1e3', `${process.pid} 5`]) {
      expect(liveHolder(junk), junk).toBeUndefined();
    }
  });
});
