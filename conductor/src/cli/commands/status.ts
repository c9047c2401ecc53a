// conductor status [BACKLOG.yaml] [--json] [--watch] [--run ID]: the run (feature,
// phase, state, the next command to type), a row per task, and the earlier runs
// and factory builds. --json prints { run, tasks, runs? }; --watch redraws until
// the run ends and exits with its outcome; --run shows one earlier run or build.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConductorError } from '../../errors.js';
import { lockHeld } from '../../state/run-lock.js';
import { earlierRunLines, findEarlierRun } from '../../status/earlier-runs.js';
import { readTaskRows } from '../../status/read-rows.js';
import { runLines, watchOutcome } from '../../status/run-view.js';
import { readStatusSnapshot, type StatusSnapshot } from '../../status/snapshot.js';
import { renderTaskTable } from '../../status/task-table.js';
import { paintFor } from '../../util/colors.js';
import type { CommandContext } from '../context.js';
import { backlogPathOf, repoRootOf } from './shared.js';

type Snapshot = StatusSnapshot;

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  if (typeof ctx.options.run === 'string') return showEarlier(ctx, repoRoot, ctx.options.run);
  const { path, display } = backlogPathOf(ctx, repoRoot);
  const named = ctx.args[0] !== undefined; // a backlog named on the command line is not the run's
  const snapshot = () => readStatusSnapshot(repoRoot, path, display, !named);
  const render = (s: Snapshot) => {
    const live = `${s.run ? `${runLines(s.run).join('\n')}\n${s.tasks.length ? '\n' : ''}` : ''}${s.tasks.length || (!s.run && !s.runs) ? renderTaskTable(s.tasks, paintFor(ctx.stdout.color)) : ''}`;
    const earlier = earlierRunLines(s.runs ?? []);
    return `${live}${live && earlier.length ? '\n' : ''}${earlier.map((line) => `${line}\n`).join('')}`;
  };

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

/** `status --run <id>`: an earlier run or a factory build, as `status` shows the live run. */
async function showEarlier(ctx: CommandContext, repoRoot: string, wanted: string): Promise<number> {
  if (ctx.args[0] !== undefined) throw new ConductorError('USAGE', '--run shows an earlier run from its own records; it takes no BACKLOG.yaml', { hint: 'conductor status --run <id>' });
  if (ctx.options.watch) throw new ConductorError('USAGE', '--watch follows the live run; an earlier run does not change', { hint: 'conductor status --run <id> without --watch' });
  const found = await findEarlierRun(repoRoot, wanted);
  const { rows, report } = await readTaskRows(repoRoot, found.backlogPath, `${found.view.records}/BACKLOG.yaml`, () => new Date(), found.source);
  const tasks = rows ?? [];
  if (ctx.options.json) {
    ctx.stdout.write(`${JSON.stringify({ run: found.view, tasks }, null, 2)}\n`);
    return 0;
  }
  const head = found.view.kind === 'factory' ? [`factory build: ${found.entry.id} (spec ${found.view.feature}), ${found.view.state}`, `next: ${found.view.next}`] : runLines(found.view);
  if (found.entry.state === 'abandoned') head[0] = `run: ${found.view.feature}, abandoned (${found.view.phase} phase)`; // closed by conductor abandon
  const lines = [...head, `records: ${found.view.records}/`];
  if (!rows) lines.push(`no task rows: ${found.view.records}/BACKLOG.yaml is ${existsSync(found.backlogPath) ? `not valid (${report.problems.length} problem${report.problems.length === 1 ? '' : 's'})` : 'missing (its tasks/ files stayed with the backlog at hand)'}`);
  ctx.stdout.write(`${lines.join('\n')}\n${tasks.length ? `\n${renderTaskTable(tasks, paintFor(ctx.stdout.color))}` : ''}`);
  return 0;
}
