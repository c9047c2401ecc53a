// Nothing from SPEC/ARCH/QA/PLAN reaches a worker or a reviewer except what
// the backlog task itself carries: planners plant marker strings, the pipeline
// runs, and every worker and reviewer prompt is checked for them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { normalizeConfig } from '../src/config/load-config.js';
import { WorktreeManager } from '../src/git/worktrees.js';
import type { PhaseContext } from '../src/phases/call-role.js';
import { runTaskAttempt } from '../src/phases/task-attempt.js';
import { reviewAttempt } from '../src/phases/review-attempt.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const REQUEST = '# Feature Request: Rate Limiter\n\n## User Story\nx\n## Problem Statement\nx\n## Requirements\n- x\n## Constraints\n- Don\'t touch: src/db/**\n## Success Criteria\n- [ ] x\n';

describe('context hygiene', () => {
  it('keeps every planning document out of every worker and reviewer prompt', async () => {
    const log = join(testdir(), 'prompts.jsonl');
    const env = { SCRIPT_LOG: log, SCRIPT_EDIT: 'src/limiter/bucket.ts=export const bucket = 1;|src/middleware/rate-limit.ts=export const mw = 1;' };
    const config = `provider: scripted\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\n`;
    const repo = gitdir({ 'conductor.config.yaml': config, 'feature-request.md': REQUEST, 'src/app.ts': 'export {};\n', '.gitignore': 'worktrees/\n' });
    expect((await conductor(['run', 'feature-request.md'], { cwd: repo })).exitCode).toBe(0); // pauses at the backlog checkpoint

    const planning = ['SPEC.md', 'ARCH.md', 'QA.md', 'PLAN.md'].map((f) => readFileSync(join(repo, 'specs', 'rate-limiter', f), 'utf8'));
    const markers = planning.flatMap((doc) => doc.match(/PLANNING-DEBRIS-[\w-]+/g) ?? []);
    expect(markers.length).toBeGreaterThanOrEqual(3); // the planners did plant them

    const backlog = validateBacklogText(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'), 'f').backlog!;
    const ctx: PhaseContext = { repoRoot: repo, conductorDir: join(repo, '.conductor'), runId: 'test-run', config: normalizeConfig({ provider: 'scripted', providers: { scripted: { command: [process.execPath, SCRIPT], env } } }), defaultProvider: 'scripted', report: () => undefined };
    const worktrees = new WorktreeManager(repo);
    await worktrees.ensureIntegration('rate-limiter', 'HEAD');
    for (const task of backlog.tasks) {
      const work = await runTaskAttempt(ctx, { task, attempt: 1, integrationBranch: 'conductor/rate-limiter', worktrees, gates: [], baselineFailures: new Set() });
      expect(work.result, work.reason).toBe('verified');
      expect((await reviewAttempt(ctx, task, 1, work)).ok).toBe(true);
    }
    const prompts = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; prompt: string });
    const checked = prompts.filter((p) => p.role === 'implementer' || p.role === 'reviewer');
    expect(checked.map((p) => p.role).sort()).toEqual([...backlog.tasks.map(() => 'implementer'), ...backlog.tasks.map(() => 'reviewer')].sort());
    for (const { prompt } of checked) {
      for (const marker of markers) expect(prompt).not.toContain(marker);
      expect(prompt).not.toContain('## Implementation Steps'); // nothing of PLAN.md's structure either
    }
    expect(existsSync(join(repo, 'tasks', 'T01.context.md'))).toBe(true);
  });
});
