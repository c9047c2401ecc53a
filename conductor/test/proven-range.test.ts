// The versions of each agent CLI the real-CLI suite has proven: one range per
// CLI in catalog.ts, the same in docs/providers.md, and `conductor doctor`
// saying where an installed CLI stands against it.
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../src/agents/providers/catalog.js';
import { checkProven, compareVersions, describeProven } from '../src/agents/providers/proven-range.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

const DOCS = fileURLToPath(new URL('../../docs/providers.md', import.meta.url));

describe('compareVersions', () => {
  it.each([
    ['2.1.332', '2.1.197', 1],
    ['2.1.197', '2.1.332', -1],
    ['0.171.0', '0.171.0', 0],
    ['1.10.0', '1.9.9', 1],
    ['1.2', '1.2.0', 0],
    ['0.62.0-preview.1', '0.62.0', -1],
    ['0.62.0-preview.2', '0.62.0-preview.1', 1],
  ])('%s against %s is %d', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });
});

describe('the proven range', () => {
  it('is inside at both ends, outside beyond them, unknown without a version', () => {
    const { from, to } = BUILTINS.claude!.proven!;
    expect(checkProven('claude', from)?.verdict).toBe('inside');
    expect(checkProven('claude', to)?.verdict).toBe('inside');
    expect(checkProven('claude', '2.0.0')?.verdict).toBe('outside');
    expect(checkProven('claude', '99.0.0')?.verdict).toBe('outside');
    expect(checkProven('claude', undefined)?.verdict).toBe('unknown');
    expect(checkProven('ollama', '0.6.4')).toBeUndefined();
  });

  it('is the same in docs/providers.md as in catalog.ts', () => {
    const docs = readFileSync(DOCS, 'utf8');
    const rows = [...docs.matchAll(/^\| `(\w+)` \| `([^`]+)` \| (\S+) \| (\S+) \|$/gm)].map(([, cli, pkg, from, to]) => [cli, pkg, from, to]);
    const catalog = Object.entries(BUILTINS)
      .filter(([, info]) => info.proven)
      .map(([cli, info]) => [cli, info.npmPackage, info.proven!.from, info.proven!.to]);
    expect(rows.sort()).toEqual(catalog.sort());
  });
});

describe('conductor doctor', () => {
  /** Stand-ins that only answer --version, as given (nothing at all for undefined). */
  function clis(versions: Record<string, string | undefined>): string {
    const scripts = Object.entries(versions).map(([name, out]) => [name, `#!/usr/bin/env node\n${out === undefined ? '' : `process.stdout.write(${JSON.stringify(`${out}\n`)});\n`}`]);
    const dir = testdir(Object.fromEntries(scripts));
    for (const [name] of scripts) chmodSync(join(dir, name!), 0o755);
    return dir;
  }

  it('prints each CLI\'s version and whether the suite has proven it', async () => {
    const { from, to } = BUILTINS.claude!.proven!;
    const codex = BUILTINS.codex!.proven!;
    const gemini = BUILTINS.gemini!.proven!;
    const bin = clis({ claude: `${to} (Claude Code)`, codex: 'codex-cli 999.0.0', gemini: undefined });
    const repo = gitdir({ 'conductor.config.yaml': 'provider: claude\n' });
    const result = await conductor(['doctor'], { cwd: repo, env: { PATH: `${bin}:/usr/bin:/bin` } });
    const row = (cli: string) => result.stdout.split('\n').find((line) => line.includes(` ${cli.padEnd(10)} `))?.slice(11).replaceAll(bin, '<bin>');
    expect(row('claude')).toBe(`ok  claude     ${to} <bin>/claude — proven ${from}–${to}`);
    expect(row('codex')).toBe(`ok  codex      999.0.0 <bin>/codex — outside the proven range ${codex.from}–${codex.to}: may work; report problems`);
    expect(row('gemini')).toBe(`ok  gemini     <bin>/gemini (installed, but --version did not answer) — version unknown; proven ${gemini.from === gemini.to ? gemini.from : `${gemini.from}–${gemini.to}`}`);
    expect(row('opencode')).toBe('no  opencode   not found on PATH');
    expect(describeProven({ range: { from: '1.0.0', to: '1.2.0' }, verdict: 'inside' })).toBe('proven 1.0.0–1.2.0');
    expect(describeProven({ range: { from: '0.61.0', to: '0.61.0' }, verdict: 'inside' })).toBe('proven 0.61.0');
    expect(describeProven({ range: { from: '0.61.0', to: '0.61.0' }, verdict: 'outside' })).toBe('outside the proven range 0.61.0: may work; report problems');
  });
});

