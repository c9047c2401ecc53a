// conductor retry <id>: give a blocked or failed task a fresh start. Its
// status and attempts go back to pending and 0 in tasks/BACKLOG.yaml and in
// its status record (the change in its history), so the next
// `conductor resume` or `conductor implement` runs it again from scratch.
import { join } from 'node:path';
import { setTaskFields } from '../../backlog/backlog-document.js';
import { editBacklogFile } from '../../backlog/backlog-file.js';
import { ConductorError } from '../../errors.js';
import { writeFileAtomically } from '../../state/atomic-write.js';
import { renderBacklogMd } from '../../state/backlog-md.js';
import { newTaskStatus, readTaskStatus, transition, writeTaskStatus } from '../../state/status-file.js';
import { taskFiles } from '../../state/task-record.js';
import { guessTaskId } from '../../util/did-you-mean.js';
import type { CommandContext } from '../context.js';
import { closedError, runAtHand } from './run-end.js';

const RETRYABLE = new Set(['blocked', 'failed']);

export async function run(ctx: CommandContext): Promise<number> {
  const id = ctx.args[0];
  if (!id) throw new ConductorError('USAGE', 'missing the task to retry', { hint: 'usage: conductor retry <id>, e.g. conductor retry T03' });
  const at = await runAtHand(ctx, `conductor retry ${id}`);
  try {
    const { backlog, journal } = at;
    if (journal?.closed) throw closedError(journal, 'retry');
    if (!backlog) throw new ConductorError('BACKLOG_INVALID', 'tasks/BACKLOG.yaml is missing or not valid', { problems: at.problems, hint: 'fix it, then retry' });
    const ids = backlog.tasks.map((t) => t.id);
    const task = backlog.tasks.find((t) => t.id === id);
    if (!task) {
      const guess = guessTaskId(id, ids);
      throw new ConductorError('USAGE', `no task ${id} in tasks/BACKLOG.yaml`, { hint: guess ? `did you mean ${guess}?` : `its tasks are ${ids.slice(0, 12).join(', ')}${ids.length > 12 ? ', …' : ''}` });
    }
    if (!RETRYABLE.has(task.status)) {
      throw new ConductorError('USAGE', `${id} is ${task.status}: only a blocked or failed task can be retried`, { hint: task.status === 'done' ? 'it is merged already' : 'conductor status shows every task\'s state' });
    }
    const files = taskFiles(at.repoRoot);
    const read = await readTaskStatus(files.tasksDir, id);
    const record = read.kind === 'ok' ? read.status : newTaskStatus(id);
    const note = `retried by hand (conductor retry) after ${task.attempts} attempt${task.attempts === 1 ? '' : 's'}`;
    // The human's move (CONTRACT §5: a human may set pending at any time); the attempts start again.
    await writeTaskStatus(files.tasksDir, { ...transition(record, 'pending', { by: 'human', note, event: { kind: 'human', cause: 'retried-by-hand' } }), attempt: 0, pid: undefined, endedAt: undefined });
    await editBacklogFile(files.backlogPath, (text) => setTaskFields(text, id, { status: 'pending', attempts: 0 }));
    await writeFileAtomically(join(files.tasksDir, 'BACKLOG.md'), renderBacklogMd({ ...backlog, tasks: backlog.tasks.map((t) => (t.id === id ? { ...t, status: 'pending', attempts: 0 } : t)) }), { derived: true });
    ctx.stdout.write(`${id} is pending again with 0 attempts (was ${task.status}); run it with: conductor ${journal ? 'resume' : 'implement'}\n`);
    return 0;
  } finally {
    await at.lock.release();
  }
}
