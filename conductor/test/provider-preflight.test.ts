// A provider the user chose that is not installed is bad input: refused before
// any agent session starts (exit 2, the package to install), never discovered
// by the phase that reaches it after other sessions have run.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conductor } from './helpers/cli.js';
import { gitdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const REQUEST = '# Feature Request: Rate Limiter\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- x\n## Success Criteria\n- [ ] x\n';
/** Node and the system's programs (git), and no agent CLI. */
const env = { ...process.env, PATH: [dirname(process.execPath), '/usr/bin', '/bin'].join(':') } as Record<string, string>;
const scripted = `providers:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n`;

describe('a chosen provider that is not installed', () => {
  it('chosen with --provider: exit 2 with the install hint, before any session', async () => {
    const repo = gitdir({ 'conductor.config.yaml': `provider: scripted\n${scripted}`, 'feature-request.md': REQUEST });
    const result = await conductor(['run', 'feature-request.md', '--provider', 'claude'], { cwd: repo, env });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('conductor: provider "claude" (--provider, for planner-spec) is not installed: claude is not on PATH\nhint: install it (npm install -g @anthropic-ai/claude-code) or choose another provider; conductor doctor shows what is available');
    expect(existsSync(join(repo, '.conductor', 'sessions'))).toBe(false);
  });

  it('routed to one role in the config: exit 2 naming the role, before the planners run', async () => {
    const repo = gitdir({ 'conductor.config.yaml': `provider: scripted\nroles:\n  reviewer: { provider: codex }\n${scripted}`, 'feature-request.md': REQUEST });
    const result = await conductor(['run', 'feature-request.md'], { cwd: repo, env });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('conductor: provider "codex" (roles.reviewer in conductor.config.yaml, for reviewer) is not installed: codex is not on PATH\nhint: install it (npm install -g @openai/codex) or choose another provider; conductor doctor shows what is available');
    expect(existsSync(join(repo, '.conductor', 'sessions'))).toBe(false);
  });

  it('named by a routing rule, or a configured command whose program is missing', async () => {
    const routed = gitdir({ 'conductor.config.yaml': `provider: scripted\nrouting:\n  - match: { keyword: ui }\n    use: { provider: gemini }\n${scripted}`, 'feature-request.md': REQUEST });
    const byRule = await conductor(['run', 'feature-request.md'], { cwd: routed, env });
    expect(byRule.exitCode).toBe(2);
    expect(byRule.stderr).toContain('conductor: provider "gemini" (routing[0] in conductor.config.yaml) is not installed: gemini is not on PATH\nhint: install it (npm install -g @google/gemini-cli)');
    const custom = gitdir({ 'conductor.config.yaml': 'provider: mine\nproviders:\n  mine:\n    command: [my-agent-cli, --headless]\n', 'feature-request.md': REQUEST });
    const missing = await conductor(['run', 'feature-request.md'], { cwd: custom, env });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toBe('conductor: provider "mine" (provider in conductor.config.yaml, for planner-spec) is not installed: my-agent-cli is not on PATH\nhint: install my-agent-cli, or change providers.mine.command in conductor.config.yaml');
  });
});
