import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { foldersPerTest } from './folders.js';
import { holderStamp, liveHolder, takeLock } from '../src/db/lockHolder.js';

const onLinux = process.platform === 'linux';
const COMPILED = new URL('../dist/db/lockHolder.js', import.meta.url).href;

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

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
    const [pid, started] = holderStamp().split('@');
    expect(Number(pid)).toBe(process.pid);
    // The start time is this process's: clock ticks (100 a second) since boot.
    const bootUptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    expect(Math.abs(Number(started) / 100 - (bootUptime - process.uptime()))).toBeLessThan(2);
    expect(liveHolder(`${process.pid}@${Number(started) + 1}`)).toBeUndefined();
    expect(liveHolder(`${process.ppid}@0`)).toBeUndefined();
  });

  it.runIf(onLinux)('when the holder is a name with spaces and parentheses, then its start time is still read', async () => {
    const child = spawn(process.execPath, ['-e', 'process.title = "x) y ) z"; setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      await once(child, 'spawn');
      await expect.poll(() => readFileSync(`/proc/${child.pid}/stat`, 'utf8')).toContain('x) y ) z');
      expect(holderStamp(child.pid)).toMatch(new RegExp(`^${child.pid}@\\d+$`));
      expect(liveHolder(holderStamp(child.pid))).toBe(child.pid);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  it.runIf(onLinux)('when the holder has exited but nobody collected it (a zombie), then it holds nothing', () => {
    // sh's background child exits; the exec'd sleep, now its parent, never collects it.
    const shell = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    return new Promise<void>((resolve, reject) => {
      shell.stdout.once('data', async (chunk: Buffer) => {
        try {
          const zombie = Number(chunk.toString().trim());
          await expect.poll(() => readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]?.[0]).toBe('Z');
          expect(liveHolder(String(zombie))).toBeUndefined();
          resolve();
        } catch (error) {
          reject(error as Error);
        } finally {
          shell.kill('SIGKILL');
        }
      });
    });
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

describe('taking a lock', () => {
  const folder = foldersPerTest();
  const lockIn = async () => join(await folder('brigade-lock-'), 'the.lock');

  it('when nobody holds it, then it is taken with this process’s stamp, and taking it again is still this process’s', async () => {
    const lock = await lockIn();
    expect(await takeLock(lock)).toEqual({ taken: true });
    expect(liveHolder(await readFile(lock, 'utf8'))).toBe(process.pid);
    expect(await takeLock(lock)).toEqual({ taken: true });
  });

  it('when a live process holds it, then it is not taken and the holder is named; when the holder is dead or the lock empty or junk, it is taken over', async () => {
    const lock = await lockIn();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      await once(holder, 'spawn');
      await writeFile(lock, holderStamp(holder.pid));
      expect(await takeLock(lock)).toEqual({ taken: false, holder: holder.pid });
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    }
    expect(await takeLock(lock)).toEqual({ taken: true });

    // An empty lock: a maker of an earlier version killed between creating it and writing its pid.
    for (const junk of ['', '../../x/y\n', 'z'.repeat(5_000)]) {
      await writeFile(lock, junk);
      expect(await takeLock(lock)).toEqual({ taken: true });
      expect(liveHolder(await readFile(lock, 'utf8'))).toBe(process.pid);
    }
  });

  it('when a process died while removing a stale lock, then its claim is cleared and the lock taken; nothing is left beside it', async () => {
    const lock = await lockIn();
    const stale = String(await deadPid());
    await writeFile(lock, stale);
    await writeFile(`${lock}.stale-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`, String(await deadPid()));
    expect(await takeLock(lock)).toEqual({ taken: true });
    expect(liveHolder(await readFile(lock, 'utf8'))).toBe(process.pid);
    expect(await readdir(dirname(lock))).toEqual(['the.lock']);
  });

  it('when eight processes race to take over one stale lock, then exactly one takes it', async () => {
    const lock = await lockIn();
    // Each racer says what it got, then holds on until the test has heard all eight: the winner stays alive.
    const race = `
      const { takeLock } = await import(${JSON.stringify(COMPILED)});
      const result = await takeLock(${JSON.stringify(lock)});
      console.log(result.taken ? 'taken' : 'held');
      setInterval(() => {}, 60_000);
    `;
    for (let round = 0; round < 3; round++) {
      await writeFile(lock, String(await deadPid()));
      const racers = Array.from({ length: 8 }, () =>
        spawn(process.execPath, ['--input-type=module', '-e', race], { stdio: ['ignore', 'pipe', 'inherit'] }),
      );
      try {
        const outcomes = await Promise.all(
          racers.map(async (racer) => ((await once(racer.stdout, 'data')) as [Buffer])[0].toString().trim()),
        );
        expect(outcomes.sort(), `round ${round}`).toEqual(['held', 'held', 'held', 'held', 'held', 'held', 'held', 'taken']);
      } finally {
        await Promise.all(racers.map((racer) => (racer.kill('SIGKILL'), once(racer, 'exit'))));
      }
    }
  }, 60_000);
});
