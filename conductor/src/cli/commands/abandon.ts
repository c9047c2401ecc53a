// conductor abandon: stop tracking the run, whatever state it is in. Its files
// move to .conductor/runs/<id>/ as a restart moves them; its worktrees are
// freed (work not merged is saved to salvage refs first, so no task branch is
// picked up by the next run's task of the same id); its integration branch and
// every salvage ref stay, and the command says where they are.
import { randomUUID } from 'node:crypto';
import { freeLiveWorktrees, commitsAhead, listSalvageRefs, refsOfRun } from '../../git/run-leftovers.js';
import { git } from '../../git/git.js';
import { LIVE_NAMING } from '../../git/worktrees.js';
import { archiveRun } from '../../state/archive-run.js';
import { eventsPath, readEvents } from '../../events/event-log.js';
import { writeJournal, type RunJournal } from '../../state/run-journal.js';
import type { CommandContext } from '../context.js';
import { closedError, plural, runAtHand } from './run-end.js';

export async function run(ctx: CommandContext): Promise<number> {
  const at = await runAtHand(ctx, 'conductor abandon');
  try {
    const { repoRoot, backlog } = at;
    if (at.journal?.closed?.how === 'abandoned') throw closedError(at.journal, 'abandon');
    const now = new Date().toISOString();
    // A run started by `conductor implement` has no journal: one is made up so its files are archived the same way,
    // started when its event stream did (its agent calls count as the run's when it is replayed).
    const started = at.journal ? now : ((await readEvents(eventsPath(at.conductorDir))).events[0]?.at ?? now);
    const journal: RunJournal = at.journal ?? { runId: randomUUID(), requestPath: '', slug: backlog?.feature ?? 'unknown', specDir: '', dontTouch: [], phase: 'implement', state: 'running', startedAt: started, updatedAt: now };
    const feature = backlog?.feature ?? journal.slug;
    const branch = LIVE_NAMING.integrationBranch(feature);
    const freed = await freeLiveWorktrees(repoRoot, feature);
    const closed = await writeJournal(at.conductorDir, { ...journal, closed: { how: 'abandoned', at: now } });
    const archived = await archiveRun(repoRoot, at.conductorDir, closed);
    ctx.stdout.write(`abandoned the run of "${journal.slug}"; its files are in ${archived}/\n`);
    if ((await git(repoRoot).raw(['branch', '--list', branch])).trim() !== '') {
      ctx.stdout.write(`kept the branch ${branch} (${plural(await commitsAhead(repoRoot, branch), 'commit')} not in your branch); a new run of "${feature}" starts from your branch and renames it\n`);
    }
    const refs = refsOfRun(await listSalvageRefs(repoRoot), [...new Set([...freed.tasks, ...(backlog?.tasks.map((t) => t.id) ?? [])])], at.journal?.startedAt);
    if (refs.length) ctx.stdout.write(`kept ${plural(refs.length, 'salvage ref')} (work not merged; git log <ref> shows it):\n${refs.map((r) => `  ${r.ref}\n`).join('')}`);
    return 0;
  } finally {
    await at.lock.release();
  }
}
