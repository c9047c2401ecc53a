import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config/load-config.js';
import { DEFAULT_CONFIG } from '../src/config/types.js';
import { TEMPLATE_SECTIONS } from '../src/intake/feature-request.js';
import { CONFIG_DEFAULTS_YAML, CONFIG_EXAMPLES_YAML } from '../src/init/config-template.js';
import { packageRoot } from '../src/paths.js';
import { loadSchema } from '../src/schema/validators.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

/** What init adds to .gitignore: conductor's state, and a run's live files under tasks/. */
const IGNORE_BLOCK = '# conductor: run state and caches (see docs/workflow.md in the conductor package)\n.conductor/\ntasks/*.status.json\ntasks/*.context.md\ntasks/*.notes.md\ntasks/*.review.json\ntasks/BACKLOG.md\ntasks/logs/\n';
const ROLE_FILES = readdirSync(join(packageRoot(), '.opencode', 'agent')).filter((f) => f.endsWith('.md')).sort();
const configOf = async (yaml: string) => readConfig({ repoRoot: testdir({ 'conductor.config.yaml': yaml }) });

describe('conductor init', () => {
  it('scaffolds role prompts, a commented config, tasks/, specs/ and the .gitignore lines, listing each', async () => {
    const repo = gitdir({ '.gitignore': 'node_modules\n/worktrees' });
    const result = await conductor(['init'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe([
      ...ROLE_FILES.map((f) => `created .opencode/agent/${f}`),
      'created conductor.config.yaml',
      'created feature-request.md',
      'created tasks/.gitkeep',
      'created specs/.gitkeep',
      'appended to .gitignore (.conductor/, tasks/*.status.json, tasks/*.context.md, tasks/*.notes.md, tasks/*.review.json, tasks/BACKLOG.md, tasks/logs/)',
      `${ROLE_FILES.length + 5} written, 0 skipped; next: edit conductor.config.yaml, then conductor doctor`,
    ].join('\n'));
    for (const f of ROLE_FILES) expect(readFileSync(join(repo, '.opencode', 'agent', f), 'utf8')).toBe(readFileSync(join(packageRoot(), '.opencode', 'agent', f), 'utf8'));
    // The request's template, with every section conductor looks for: filled in, it is what `conductor run` takes.
    const request = readFileSync(join(repo, 'feature-request.md'), 'utf8');
    expect(request).toBe(readFileSync(join(packageRoot(), 'conductor', 'templates', 'feature-request.md'), 'utf8'));
    expect(TEMPLATE_SECTIONS.filter((section) => !request.includes(`\n## ${section}\n`))).toEqual([]);
    // Live state and caches, as docs/workflow.md's table of files says (#18); the backlog, specs/ and docs/ are the user's to commit.
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe(`node_modules\n/worktrees\n${IGNORE_BLOCK}`);
    // The generated file is valid, and all comments: the defaults apply.
    const loaded = await readConfig({ repoRoot: repo });
    expect(loaded.problems).toEqual([]);
    expect(loaded.config).toEqual(DEFAULT_CONFIG);
  });

  it('never overwrites or duplicates without --force, and overwrites with it', async () => {
    const repo = gitdir();
    await conductor(['init'], { cwd: repo });
    writeFileSync(join(repo, 'conductor.config.yaml'), 'concurrency: 5\n');
    const again = await conductor(['init'], { cwd: repo });
    expect(again.exitCode).toBe(0);
    expect(again.stdout.split('\n').slice(-4)).toEqual([
      'skipped tasks/.gitkeep (exists; --force overwrites it)',
      'skipped specs/.gitkeep (exists; --force overwrites it)',
      "skipped .gitignore (already ignores conductor's state)",
      `0 written, ${ROLE_FILES.length + 5} skipped; next: edit conductor.config.yaml, then conductor doctor`,
    ]);
    expect(readFileSync(join(repo, 'conductor.config.yaml'), 'utf8')).toBe('concurrency: 5\n');
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe(IGNORE_BLOCK);
    const forced = await conductor(['init', '--force'], { cwd: repo });
    expect(forced.stdout).toContain('overwrote conductor.config.yaml\n');
    expect(readFileSync(join(repo, 'conductor.config.yaml'), 'utf8')).toMatch(/^# conductor\.config\.yaml: every key is optional/);
    expect(readFileSync(join(repo, '.gitignore'), 'utf8')).toBe(IGNORE_BLOCK);
  });

  it('refuses outside a git repository with exit 2', async () => {
    const result = await conductor(['init'], { cwd: testdir() });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('conductor: not inside a git repository\nhint: run conductor init in a git repository (git init creates one)');
  });

  it('shows every config key at its true default, and examples the loader accepts', async () => {
    const defaults = await configOf(CONFIG_DEFAULTS_YAML);
    expect(defaults.problems).toEqual([]);
    expect(defaults.config).toEqual({ ...DEFAULT_CONFIG, providerChosen: true });
    // Keys whose absence means "detect" or "the default place" are shown commented out, with what that is.
    const unset = ['gates', 'setup', 'worktreeDir', 'executor'];
    const keys = Object.keys(loadSchema('config').properties as object).filter((k) => !unset.includes(k));
    for (const key of keys) expect(CONFIG_DEFAULTS_YAML).toMatch(new RegExp(`^${key}:`, 'm'));
    for (const key of unset) expect(CONFIG_DEFAULTS_YAML).toMatch(new RegExp(`^# ${key}: `, 'm'));
    const examples = await configOf(CONFIG_EXAMPLES_YAML);
    expect(examples.problems).toEqual([]);
    expect(examples.config.routing).toEqual([{ match: { type: 'docs' }, use: { provider: 'gemini' } }]);
    expect(examples.config.budgets.maxCostUsd).toEqual({ perTask: 2, perRun: 20 });
  });
});
