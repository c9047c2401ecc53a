import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { testdir } from './helpers/dirs.js';

const WRITER = fileURLToPath(new URL('./fixtures/write-forever.mjs', import.meta.url));

describe('state files under SIGKILL', () => {
  it('always hold the old or the new content, never a torn one', async () => {
    const dir = testdir({ 'T01.status.json': JSON.stringify({ version: 'initial' }) });
    const path = join(dir, 'T01.status.json');
    const seen = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const child = execa(process.execPath, [WRITER, path], { stdin: 'ignore', reject: false });
      await new Promise((resolve) => child.stdout!.once('data', resolve));
      await new Promise((resolve) => setTimeout(resolve, 20 + ((round * 37) % 90)));
      child.kill('SIGKILL');
      await child;
      const value = JSON.parse(readFileSync(path, 'utf8')) as { version: string };
      seen.add(value.version);
      expect(['initial', 'A', 'B']).toContain(value.version);
    }
    // The kills landed while writes were under way, not only before the first one.
    expect([...seen].some((v) => v !== 'initial')).toBe(true);
  });
});
