// conductor status [BACKLOG.yaml] [--json] [--watch]
import { ConductorError } from '../../errors.js';
import { readTaskRows } from '../../status/read-rows.js';
import { renderTaskTable, type TaskRow } from '../../status/task-table.js';
import type { CommandContext } from '../context.js';
import { backlogPathOf, repoRootOf } from './shared.js';

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const { path, display } = backlogPathOf(ctx, repoRoot);
  const snapshot = async (): Promise<TaskRow[]> => {
    const { report, rows } = await readTaskRows(repoRoot, path, display);
    if (!rows) throw new ConductorError('BACKLOG_INVALID', `${display} is not valid`, { problems: report.problems, hint: `fix it; conductor validate ${display} lists the problems` });
    return rows;
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
