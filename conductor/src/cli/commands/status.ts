// conductor status [BACKLOG.yaml] [--json] [--watch]: the run (feature, phase,
// state, the next command to type) and a row per task. --json prints
// { run, tasks }; --watch redraws until the run ends and exits with its outcome.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { ConductorError } from '../../errors.js';
import { lockHeld } from '../../state/run-lock.js';
import { readTaskRows } from '../../status/read-rows.js';
import { readRunView, runLines, watchOutcome, type RunView } from '../../status/run-view.js';
import { renderTaskTable, type TaskRow } from '../../status/task-table.js';
import { paintFor } from '../../util/colors.js';
import type { CommandContext } from '../context.js';
import { backlogPathOf, repoRootOf } from './shared.js';

interface Snapshot {
  run: RunView | null;
  tasks: TaskRow[];
}

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const { path, display } = backlogPathOf(ctx, repoRoot);
  const snapshot = async (): Promise<Snapshot> => {
    const view = ctx.args[0] === undefined ? await readRunView(repoRoot) : undefined; // a backlog named on the command line is not the run's
    // Before implementation the backlog may not exist yet, or be the one the human is fixing: the run says what to do.
    const beforeBacklog = view !== undefined && view.phase !== 'implement' && !(view.phase === 'backlog' && view.state === 'paused');
    if (beforeBacklog && !existsSync(path)) return { run: view, tasks: [] };
    const { report, rows } = await readTaskRows(repoRoot, path, display);
    if (rows) return { run: view ?? null, tasks: rows };
    if (beforeBacklog) return { run: view, tasks: [] };
    throw new ConductorError('BACKLOG_INVALID', `${display} is not valid`, { problems: report.problems, hint: `fix it; conductor validate ${display} lists the problems${view && view.state !== 'running' ? ', then conductor resume' : ''}` });
  };
  const render = (s: Snapshot) => `${s.run ? `${runLines(s.run).join('\n')}\n${s.tasks.length ? '\n' : ''}` : ''}${s.tasks.length || !s.run ? renderTaskTable(s.tasks, paintFor(ctx.stdout.color)) : ''}`;

  if (ctx.options.json) {
    ctx.stdout.write(`${JSON.stringify(await snapshot(), null, 2)}\n`);
    return 0;
  }
  if (!ctx.options.watch) {
    ctx.stdout.write(render(await snapshot()));
    return 0;
  }
  // --watch: redraw every two seconds until the run ends, then exit with its outcome.
  const clear = process.stdout.isTTY ? '\x1b[2J\x1b[H' : '';
  for (;;) {
    const s = await snapshot();
    ctx.stdout.write(`${clear}${render(s)}`);
    if (!clear) ctx.stdout.write('\n');
    const outcome = watchOutcome(s.run ?? undefined, s.run ? false : await lockHeld(join(repoRoot, '.conductor')), s.tasks.map((t) => t.state));
    if (outcome !== undefined) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
