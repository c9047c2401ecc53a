// A task's notes (tasks/<id>.notes.md): what each attempt did and why it ended,
// appended as the task goes, for the human and for the rebase agent.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git } from '../git/git.js';
import { ownWrite } from '../state/own-writes.js';
import type { Verdict } from '../review/verdict.js';
import { tasksDirOf, type PhaseContext } from './call-role.js';
import type { AttemptOutcome } from './task-attempt.js';

export function notesOfReview(verdict: Pick<Verdict, 'verdict' | 'summary' | 'required_changes'>): string {
  return [`${verdict.verdict}: ${verdict.summary}`, ...verdict.required_changes.map((l) => `- ${l}`)].join('\n');
}

export async function diffstat(work: Pick<AttemptOutcome, 'worktree' | 'baseCommit'>): Promise<string> {
  return git(work.worktree).raw(['diff', '--stat', `${work.baseCommit}..HEAD`]).catch(() => '');
}

export async function appendNotes(ctx: PhaseContext, id: string, lines: string[]): Promise<void> {
  const path = join(tasksDirOf(ctx), `${id}.notes.md`);
  await ownWrite(path, () => appendFile(path, `${lines.join('\n')}\n\n`)); // conductor's, not a worker's (the boundary check)
}

export async function writeNotes(ctx: PhaseContext, id: string, attempt: number, work: AttemptOutcome, again = false): Promise<void> {
  const lines = [`## Attempt ${attempt}${again ? ' checked again for a new review' : ''}: ${work.result}${work.reason ? ` — ${work.reason}` : ''}`, ''];
  if (work.agent?.finalMessage.trim()) lines.push('Worker said:', '', ...work.agent.finalMessage.trim().split('\n').map((l) => `> ${l}`), '');
  for (const gate of work.gates) lines.push(`- gate ${gate.name}: ${gate.passed ? 'passed' : 'FAILED'} (${Math.round(gate.durationMs)} ms)`);
  if (work.negativeEvidence.length) lines.push('', 'Negative evidence:', ...work.negativeEvidence.map((l) => `- ${l}`));
  await appendNotes(ctx, id, lines);
}
