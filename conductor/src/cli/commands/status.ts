// conductor status [BACKLOG.yaml] [--json] [--watch]
import { join } from 'node:path';
import { ConductorError } from '../../errors.js';
import { readLedger } from '../../agents/ledger.js';
import { validateBacklogFile } from '../../backlog/validate-backlog.js';
import { peekTaskStatus, type StatusRead } from '../../state/status-file.js';
import { renderTaskTable, taskRows, type TaskRow } from '../../status/task-table.js';
import type { CommandContext } from '../context.js';
import { backlogPathOf, configOf, repoRootOf } from './shared.js';

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const { config } = await configOf(ctx, repoRoot);
  const { path, display } = backlogPathOf(ctx, repoRoot);
  const snapshot = async (): Promise<TaskRow[]> => {
    const report = await validateBacklogFile(path, display, { taskContextBytes: config.budgets.taskContextBytes });
    if (!report.backlog) throw new ConductorError('BACKLOG_INVALID', `${display} is not valid`, { problems: report.problems, hint: `fix it; conductor validate ${display} lists the problems` });
    const tasksDir = join(repoRoot, 'tasks');
    const records = new Map<string, StatusRead>();
    for (const task of report.backlog.tasks) records.set(task.id, await peekTaskStatus(tasksDir, task.id));
    const { entries } = await readLedger(join(repoRoot, '.conductor'));
    return taskRows(report.backlog, records, entries, new Date());
  };

  if (ctx.options.json) {
    ctx.stdout.write(`${JSON.stringify(await snapshot(), null, 2)}\n`);
    return 0;
  }
  if (!ctx.options.watch) {
    ctx.stdout.write(renderTaskTable(await snapshot()));
    return 0;
  }
  // --watch: redraw every two seconds until interrupted.
  const clear = process.stdout.isTTY ? '\x1b[2J\x1b[H' : '';
  for (;;) {
    ctx.stdout.write(`${clear}${renderTaskTable(await snapshot())}`);
    if (!clear) ctx.stdout.write('\n');
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
