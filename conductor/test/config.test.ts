import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config/load-config.js';
import { DEFAULT_CONFIG } from '../src/config/types.js';
import { formatProblem } from '../src/problems.js';
import { testdir } from './helpers/dirs.js';
import { CONFIG_EXAMPLE } from '../src/docs/pages.js';

async function problemsOf(yaml: string): Promise<string[]> {
  const dir = testdir({ 'conductor.config.yaml': yaml });
  const result = await readConfig({ repoRoot: dir, cwd: dir });
  return result.problems.map(formatProblem);
}

describe('conductor.config.yaml', () => {
  it('is optional: every key has a default', async () => {
    const dir = testdir();
    const result = await readConfig({ repoRoot: dir, cwd: dir });
    expect(result).toEqual({ config: DEFAULT_CONFIG, source: undefined, warnings: [], problems: [] });
  });

  it('treats an empty file as all defaults', async () => {
    expect(await problemsOf('')).toEqual([]);
  });

  it('merges partial sections with their defaults', async () => {
    const dir = testdir({ 'conductor.config.yaml': 'concurrency: 8\nbudgets: { taskContextBytes: 4096 }\ntimeouts: { gateMinutes: 5 }\n' });
    const { config } = await readConfig({ repoRoot: dir, cwd: dir });
    expect(config.concurrency).toBe(8);
    expect(config.budgets).toEqual({ taskContextBytes: 4096, featureRequestBytes: 5120, repoMapBytes: 51200, maxCostUsd: {} });
    expect(config.timeouts).toEqual({ inactivityMinutes: 20, hardMinutes: 60, gateMinutes: 5 });
  });

  it('accepts the documented example', async () => {
    expect(await problemsOf(CONFIG_EXAMPLE)).toEqual([]);
  });

  it('locates unknown keys with did-you-mean and bad values', async () => {
    expect(await problemsOf('concurency: 4\ncheckpoints: [plan, review]\nbudgets: { taskContextBytes: "3k" }\n')).toEqual([
      'conductor.config.yaml:1:1 error unknown-key: unknown key "concurency" — did you mean "concurrency"?',
      'conductor.config.yaml:2:21 error invalid-value: "checkpoints[1]" must be one of plan, backlog; got "review"',
      'conductor.config.yaml:3:30 error type: "budgets.taskContextBytes" must be an integer, got text "3k"',
    ]);
  });

  it('locates bad pricing and cost caps', async () => {
    expect(await problemsOf('pricing:\n  claude-sonnet-4-5: { inputPerMillion: -3, outputPerMilion: 15 }\nbudgets:\n  maxCostUsd: { perRun: 0, perTask: "2" }\n')).toEqual([
      'conductor.config.yaml:2:22 error missing-key: "pricing.claude-sonnet-4-5" is missing the required key "outputPerMillion"',
      'conductor.config.yaml:2:41 error invalid-value: "pricing.claude-sonnet-4-5.inputPerMillion" must be >= 0',
      'conductor.config.yaml:2:45 error unknown-key: unknown key "outputPerMilion" in "pricing.claude-sonnet-4-5" — did you mean "outputPerMillion"?',
      'conductor.config.yaml:4:25 error invalid-value: "budgets.maxCostUsd.perRun" must be > 0',
      'conductor.config.yaml:4:37 error type: "budgets.maxCostUsd.perTask" must be a number, got text "2"',
    ]);
  });

  it('rejects concurrency outside 1–16', async () => {
    expect(await problemsOf('concurrency: 17\n')).toEqual(['conductor.config.yaml:1:14 error invalid-value: "concurrency" must be <= 16']);
  });

  it('rejects a gate given as a shell string', async () => {
    expect(await problemsOf('gates:\n  - { name: test, run: "npm test" }\n')).toEqual(['conductor.config.yaml:2:24 error type: "gates[0].run" must be a list, got text "npm test" — write a list, e.g. [npm test]']);
  });

  it('names unknown providers and command-less custom ones', async () => {
    expect(await problemsOf('provider: cluade\nroles:\n  reviewer: { provider: nobody }\nproviders:\n  mine: { model: x }\n')).toEqual([
      'conductor.config.yaml:1:11 error unknown-provider: unknown provider "cluade" — did you mean "claude"?',
      'conductor.config.yaml:3:25 error unknown-provider: unknown provider "nobody" — define it under providers with a command, or use one of opencode, claude, codex, gemini, ollama, replay',
      'conductor.config.yaml:5:3 error missing-key: provider "mine" is not built in, so it needs a command — e.g. command: ["my-agent", "--prompt-file", "{{promptFile}}"]',
    ]);
  });

  it('fails with exit-code-2 error for a missing --config file', async () => {
    const dir = testdir();
    await expect(readConfig({ repoRoot: dir, cwd: dir, configPath: 'nope.yaml' })).rejects.toMatchObject({ code: 'INPUT_INVALID', message: 'config file not found: nope.yaml' });
  });

  it('reads a --config file given as an absolute path, from anywhere', async () => {
    const elsewhere = testdir({ 'mine.yaml': 'concurrency: 5\n' });
    const repo = testdir();
    expect((await readConfig({ repoRoot: repo, cwd: repo, configPath: join(elsewhere, 'mine.yaml') })).config.concurrency).toBe(5);
  });

  it('warns about a .yml file it ignores', async () => {
    const dir = testdir({ 'conductor.config.yml': 'concurrency: 2\n' });
    expect((await readConfig({ repoRoot: dir, cwd: dir })).warnings).toEqual(['conductor.config.yml is ignored; rename it to conductor.config.yaml']);
  });
});
