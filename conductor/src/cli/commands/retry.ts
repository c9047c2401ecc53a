// conductor retry <id>: give a blocked or failed task a fresh start. Its
// status and attempts go back to pending and 0 in tasks/BACKLOG.yaml and in
// its status record (the change in its history), so the next
// `conductor resume` or `conductor implement` runs it again from scratch.
//
// While a conductor runs the run (`run`, `resume`, `implement` hold the lock),
// a blocked task is retried through tasks/BACKLOG.yaml alone — the human's own
// move, which that conductor picks up at its next decision and records as a
// `human` event; its record and the other files under tasks/ are that
// conductor's to write. A failed task may be in its hands still: refused.
import { join } from 'node:path';
import type { Backlog, Task } from '../../backlog/types.js';
import { setTaskFields } from '../../backlog/backlog-document.js';
import { editBacklogFile } from '../../backlog/backlog-file.js';
import { validateBacklogFile, validateBacklogText } from '../../backlog/validate-backlog.js';
import { ConductorError, isConductorError } from '../../errors.js';
import { writeFileAtomically } from '../../state/atomic-write.js';
import { renderBacklogMd } from '../../state/backlog-md.js';
import { liveHolder } from '../../state/run-lock.js';
import { newTaskStatus, readTaskStatus, transition, writeTaskStatus } from '../../state/status-file.js';
import { taskEventOf, taskFiles } from '../../state/task-record.js';
import { emitEvent } from '../../events/event-log.js';
import { guessTaskId } from '../../util/did-you-mean.js';
import type { CommandContext } from '../context.js';
import { closedError, runAtHand } from './run-end.js';
import { DEFAULT_BACKLOG, repoRootOf } from './shared.js';

const RETRYABLE = new Set(['blocked', 'failed']);
/** The commands whose implement loop reads the backlog while it runs. */
const RUNS_TASKS = /^conductor (?:run|resume|implement)\b/;

export async function run(ctx: CommandContext): Promise<number> {
  const id = ctx.args[0];
  if (!id) throw new ConductorError('USAGE', 'missing the task to retry', { hint: 'usage: conductor retry <id>, e.g. conductor retry T03' });
  let at: Awaited<ReturnType<typeof runAtHand>>;
  try {
    at = await runAtHand(ctx, `conductor retry ${id}`);
  } catch (error) {
    if (isConductorError(error) && error.code === 'LOCKED') return retryWhileRunning(ctx, id, error);
    throw error;
  }
  try {
    const { backlog, journal } = at;
    if (journal?.closed) throw closedError(journal, 'retry');
    if (!backlog) throw new ConductorError('BACKLOG_INVALID', 'tasks/BACKLOG.yaml is missing or not valid', { problems: at.problems, hint: 'fix it, then retry' });
    const task = retryable(backlog, id);
    const files = taskFiles(at.repoRoot);
    const read = await readTaskStatus(files.tasksDir, id);
    const record = read.kind === 'ok' ? read.status : newTaskStatus(id);
    const note = `retried by hand (conductor retry) after ${task.attempts} attempt${task.attempts === 1 ? '' : 's'}`;
    // The human's move (CONTRACT §5: a human may set pending at any time); the attempts start again.
    const retried = { ...transition(record, 'pending', { by: 'human', note, event: { kind: 'human', cause: 'retried-by-hand' } }), attempt: 0, pid: undefined, endedAt: undefined };
    await writeTaskStatus(files.tasksDir, retried);
    await editBacklogFile(files.backlogPath, (text) => setTaskFields(text, id, { status: 'pending', attempts: 0 }));
    await writeFileAtomically(join(files.tasksDir, 'BACKLOG.md'), renderBacklogMd({ ...backlog, tasks: backlog.tasks.map((t) => (t.id === id ? { ...t, status: 'pending', attempts: 0 } : t)) }), { derived: true });
    await emitEvent(files.conductorDir, taskEventOf(retried));
    ctx.stdout.write(`${id} is pending again with 0 attempts (was ${task.status}); run it with: conductor ${journal ? 'resume' : 'implement'}\n`);
    return 0;
  } finally {
    await at.lock.release();
  }
}

/** The task to retry, or the error that says why it cannot be. */
function retryable(backlog: Backlog, id: string): Task {
  const ids = backlog.tasks.map((t) => t.id);
  const task = backlog.tasks.find((t) => t.id === id);
  if (!task) {
    const guess = guessTaskId(id, ids);
    throw new ConductorError('USAGE', `no task ${id} in tasks/BACKLOG.yaml`, { hint: guess ? `did you mean ${guess}?` : `its tasks are ${ids.slice(0, 12).join(', ')}${ids.length > 12 ? ', …' : ''}` });
  }
  if (!RETRYABLE.has(task.status)) {
    throw new ConductorError('USAGE', `${id} is ${task.status}: only a blocked or failed task can be retried`, { hint: task.status === 'done' ? 'it is merged already' : 'conductor status shows every task\'s state' });
  }
  return task;
}

/** Another conductor holds the lock: a blocked task goes back to pending through the backlog, for it to pick up. */
async function retryWhileRunning(ctx: CommandContext, id: string, locked: ConductorError): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const holder = await liveHolder(join(repoRoot, '.conductor'));
  if (!holder || !RUNS_TASKS.test(holder.command)) {
    throw new ConductorError('LOCKED', locked.message, { hint: `wait for it to end, then conductor retry ${id} again${holder ? '' : ' (or, if no conductor runs here, delete .conductor/lock)'}` });
  }
  const who = `the conductor running here (pid ${holder.pid}, "${holder.command}")`;
  const path = join(repoRoot, DEFAULT_BACKLOG);
  const report = await validateBacklogFile(path, DEFAULT_BACKLOG, { repoRoot, taskContextBytes: Number.POSITIVE_INFINITY });
  if (!report.backlog) throw new ConductorError('BACKLOG_INVALID', `${DEFAULT_BACKLOG} is not valid`, { problems: report.problems, hint: `fix it (${who} starts nothing new until then), then retry` });
  const task = retryable(report.backlog, id);
  if (task.status === 'failed') {
    throw new ConductorError('USAGE', `${id} is failed, and ${who} may be trying it again now`, { hint: `wait for it to end (conductor status --watch follows it), then conductor retry ${id}` });
  }
  // Re-checked inside the edit: the running conductor may have written the file meanwhile.
  let now: string | undefined;
  await editBacklogFile(path, (text) => {
    now = validateBacklogText(text, DEFAULT_BACKLOG).backlog?.tasks.find((t) => t.id === id)?.status;
    return now === 'blocked' ? setTaskFields(text, id, { status: 'pending', attempts: 0 }) : text;
  });
  if (now !== 'blocked') throw new ConductorError('USAGE', `${id} is ${now ?? 'gone from the backlog'} now: ${who} moved it meanwhile; nothing was changed`, { hint: 'conductor status shows every task\'s state' });
  ctx.stdout.write(`${id} is pending again with 0 attempts in ${DEFAULT_BACKLOG} (was blocked); ${who} starts it at its next decision if it is still starting tasks, and records the retry in ${id}'s history; if it ends without running ${id}, run conductor resume\n`);
  return 0;
}
