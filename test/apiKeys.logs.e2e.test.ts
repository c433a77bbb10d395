import { scratchFolder } from '@brigade/testing';
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

it('when a run uses an API key every way it can, then its secret is in no log line, metric or response; its id is', async () => {
  const dir = await scratchFolder('brigade-key-logs-');
  try {
    const resultFile = join(dir, 'key.json');
    // A process of its own, so every service's logger (pino on fd 1) is captured, not just this process's.
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/apiKeyRun.ts', resultFile], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output.slice(-3000)).toBe(0);

    const { secret, keyId } = JSON.parse(await readFile(resultFile, 'utf8')) as { secret: string; keyId: string };
    // The random part is the last 43 characters: base64url has '_' in its alphabet, so the last '_' is not its
    // start (cutting there once left an empty string, which every line "contains").
    const random = secret.slice(-43);
    expect(random).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const lines = output.split('\n');
    expect(lines.length).toBeGreaterThan(50);
    // The whole secret, its random part, and any 16 characters of it (a truncated key is a prefix).
    const leaks = lines.filter((line) => line.includes(random.slice(0, 16)) || line.includes(random.slice(-16)));
    expect(leaks).toEqual([]);
    expect(output).not.toContain(secret);
    // The id is how logs name the key: the gateway's access log and auth's audit line.
    expect(lines.filter((line) => line.includes(keyId) && line.includes('"service":"gateway"')).length).toBeGreaterThan(0);
    expect(lines.some((line) => line.includes(keyId) && line.includes('api key created'))).toBe(true);
    // The run did what it says: accepted, refused and revoked.
    expect(output).toMatch(/RESULT advance .*"status":"PREPARING"/);
    expect(output).toMatch(/RESULT revoked .*"status":401/);
    expect(output).toMatch(/RESULT with token .*"status":400/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);
