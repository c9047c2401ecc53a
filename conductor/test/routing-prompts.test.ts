import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { routeFor } from '../src/agents/routing.js';
import { buildPrompt, rolePromptBody } from '../src/agents/prompts.js';
import { normalizeConfig } from '../src/config/load-config.js';
import { ROLES } from '../src/config/types.js';
import { normalizeTask } from '../src/backlog/types.js';
import { packageRoot } from '../src/paths.js';
import { testdir } from './helpers/dirs.js';

const config = normalizeConfig({
  provider: 'opencode',
  roles: { 'planner-spec': { provider: 'gemini', model: 'gemini-2.5-flash' }, implementer: { provider: 'claude', model: 'claude-sonnet-4-5' }, reviewer: { model: 'gpt-5' } },
  routing: [
    { match: { type: 'docs' }, use: { provider: 'gemini' } },
    { match: { keyword: 'migration' }, use: { provider: 'codex', model: 'gpt-5-codex' } },
  ],
  providers: { gemini: { model: 'gemini-2.5-pro' } },
});
const task = (fields: Record<string, unknown>) => normalizeTask({ id: 'T01', title: 'x', description: 'y', acceptance: ['a'], scope: { files_hint: ['f'] }, ...fields });

describe('routing', () => {
  it('routes roles to their provider and model', () => {
    expect(routeFor(config, 'planner-spec')).toEqual({ provider: 'gemini', model: 'gemini-2.5-flash', source: 'roles.planner-spec' });
    expect(routeFor(config, 'reviewer')).toEqual({ provider: 'opencode', model: 'gpt-5', source: 'roles.reviewer' });
    expect(routeFor(config, 'backlog')).toEqual({ provider: 'opencode', source: 'provider' });
  });

  it('routes workers by task type or keyword, first match wins, and drops a model of another provider', () => {
    expect(routeFor(config, 'implementer', task({}))).toEqual({ provider: 'claude', model: 'claude-sonnet-4-5', source: 'roles.implementer' });
    expect(routeFor(config, 'implementer', task({ type: 'docs' }))).toEqual({ provider: 'gemini', model: 'gemini-2.5-pro', source: 'routing[0]' });
    expect(routeFor(config, 'implementer', task({ description: 'Write the DB Migration' }))).toEqual({ provider: 'codex', model: 'gpt-5-codex', source: 'routing[1]' });
  });

  it('lets a task override its worker', () => {
    expect(routeFor(config, 'implementer', task({ type: 'docs', agent: { model: 'gemini-2.5-flash-lite' } }))).toEqual({ provider: 'gemini', model: 'gemini-2.5-flash-lite', source: 'task T01 agent' });
  });

  it('does not apply worker routing to other roles', () => {
    expect(routeFor(config, 'reviewer', task({ type: 'docs' })).provider).toBe('opencode');
  });

  it('sends every call to a provider chosen on the command line, keeping a model only where the config routes to it too', () => {
    const claude = { ...config, providerOverride: 'claude' };
    expect(routeFor(claude, 'planner-spec')).toEqual({ provider: 'claude', source: 'command line' });
    expect(routeFor(claude, 'reviewer')).toEqual({ provider: 'claude', source: 'command line' }); // gpt-5 is opencode's
    expect(routeFor(claude, 'implementer', task({}))).toEqual({ provider: 'claude', model: 'claude-sonnet-4-5', source: 'roles.implementer' });
    expect(routeFor(claude, 'implementer', task({ type: 'docs' }))).toEqual({ provider: 'claude', source: 'command line' });
    expect(routeFor(claude, 'implementer', task({ agent: { provider: 'codex', model: 'gpt-5-codex' } }))).toEqual({ provider: 'claude', source: 'command line' });
    // The config's own provider on the command line keeps the models meant for it; another one brings its providers.<name>.model.
    const opencode = { ...config, providerOverride: 'opencode' };
    expect(routeFor(opencode, 'reviewer')).toEqual({ provider: 'opencode', model: 'gpt-5', source: 'roles.reviewer' });
    expect(routeFor(opencode, 'backlog')).toEqual({ provider: 'opencode', source: 'provider' });
    expect(routeFor(opencode, 'planner-spec')).toEqual({ provider: 'opencode', source: 'command line' });
    expect(routeFor({ ...config, providerOverride: 'gemini' }, 'planner-arch')).toEqual({ provider: 'gemini', model: 'gemini-2.5-pro', source: 'command line' });
    expect(routeFor({ ...config, providerOverride: 'replay' }, 'implementer', task({ type: 'docs', agent: { model: 'x' } }))).toEqual({ provider: 'replay', source: 'command line' });
    // A config naming no provider: the command line picks the default, so an entry naming just a model applies to it.
    const unnamed = { ...normalizeConfig({ roles: { reviewer: { model: 'gpt-5' } } }), providerOverride: 'codex' };
    expect(routeFor(unnamed, 'reviewer')).toEqual({ provider: 'codex', model: 'gpt-5', source: 'roles.reviewer' });
    expect(routeFor(unnamed, 'backlog')).toEqual({ provider: 'codex', source: 'command line' });
  });
});

describe('role prompts', () => {
  // Hidden subagents: opencode users do not get nine extra primary agents (#18); conductor reads the body itself.
  it('ships all nine roles in opencode agent format, as hidden subagents', () => {
    const dir = join(packageRoot(), '.opencode', 'agent');
    expect(readdirSync(dir).filter((f) => f.endsWith('.md')).sort()).toEqual([...ROLES].map((r) => `${r}.md`).sort());
    for (const role of ROLES) {
      const text = readFileSync(join(dir, `${role}.md`), 'utf8');
      expect(text, role).toMatch(/^---\ndescription: .+\nmode: subagent\nhidden: true\npermission:\n {2}edit: (allow|deny)\n {2}bash: (allow|deny)\n {2}webfetch: deny\n---\n/);
    }
  });

  it('builds a prompt from the role body and the role input template', () => {
    const repo = testdir();
    const prompt = buildPrompt('implementer', { context: '# Task T01: Token bucket\n', notes: '- handle refill at 0' }, repo);
    expect(prompt.startsWith('You implement exactly one task')).toBe(true);
    expect(prompt).toContain('\n\n---\n\n# Task T01: Token bucket\n\n## Review notes from the last attempt — address each one\n\n- handle refill at 0\n');
  });

  it('uses the repository\'s own role prompt and template when it has them', () => {
    const repo = testdir({
      '.opencode/agent/reviewer.md': '---\ndescription: ours\nmode: primary\n---\nBe terse.\n',
      '.opencode/templates/reviewer.md.hbs': 'Criteria: {{#each acceptance}}{{this}};{{/each}}\n',
    });
    expect(rolePromptBody('reviewer', repo)).toBe('Be terse.');
    expect(buildPrompt('reviewer', { acceptance: ['a', 'b'] }, repo)).toBe('Be terse.\n\n---\n\nCriteria: a;b;\n');
  });

  it('renders the reviewer input with gates, flags and the diff', () => {
    const repo = testdir();
    mkdirSync(join(repo, 'x'));
    writeFileSync(join(repo, 'x', 'y'), '');
    const prompt = buildPrompt('reviewer', { taskId: 'T02', title: 'Middleware', acceptance: ['answers 429'], gates: [{ name: 'test', passed: false, tail: 'FAIL limiter.test.ts' }, { name: 'lint', passed: true }], flagged: ['.github/workflows/ci.yml'], outsideScope: ['src/other.ts'], diff: '+x', diffNote: '1 file left out' }, repo);
    expect(prompt).toContain('- test: FAILED\n```\nFAIL limiter.test.ts\n```\n- lint: passed');
    expect(prompt).toContain('## Flagged: changes to agent settings, hooks or CI\n- .github/workflows/ci.yml');
    expect(prompt).toContain('## Diff (1 file left out)\n\n```diff\n+x\n```');
  });
});
