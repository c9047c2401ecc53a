// conductor status [BACKLOG.yaml] [--json] [--watch]: the run (feature, phase,
// state, the next command to type) and a row per task. --json prints
// { run, tasks }; --watch redraws until the run ends and exits with its outcome.
import { join } from 'node:path';
import { lockHeld } from '../../state/run-lock.js';
import { runLines, watchOutcome } from '../../status/run-view.js';
import { readStatusSnapshot, type StatusSnapshot } from '../../status/snapshot.js';
import { renderTaskTable } from '../../status/task-table.js';
import { paintFor } from '../../util/colors.js';
import type { CommandContext } from '../context.js';
import { backlogPathOf, repoRootOf } from './shared.js';

type Snapshot = StatusSnapshot;

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const { path, display } = backlogPathOf(ctx, repoRoot);
  // A backlog named on the command line is not the run's.
  const snapshot = () => readStatusSnapshot(repoRoot, path, display, ctx.args[0] === undefined);
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
