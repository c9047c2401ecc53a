// conductor events [--follow] [--run ID] [--json]: a run's event stream
// (docs/events.md), as lines for a person or as JSON Lines. --follow prints
// events as they come and ends when the run does (at once when none runs).
import { join } from 'node:path';
import { describeEvent } from '../../events/describe-event.js';
import type { ConductorEvent } from '../../events/event-log.js';
import { findRun } from '../../events/run-streams.js';
import { endsRun, EventTail } from '../../events/tail.js';
import { lockHeld } from '../../state/run-lock.js';
import type { CommandContext } from '../context.js';
import { repoRootOf } from './shared.js';

const POLL_MS = 200;
const LOCK_CHECK_MS = 1000;

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const stream = await findRun(repoRoot, typeof ctx.options.run === 'string' ? ctx.options.run : undefined);
  const print = (event: ConductorEvent) => ctx.stdout.write(`${ctx.options.json ? JSON.stringify(event) : describeEvent(event)}\n`);
  const tail = new EventTail(stream.eventsFile);
  const first = await tail.read();
  first.events.forEach(print);
  if (!ctx.options.follow || !stream.current) return 0;
  const lastRun = first.events.findLast((e) => e.type === 'run');
  let ended = lastRun !== undefined && endsRun(lastRun);
  const conductorDir = join(repoRoot, '.conductor');
  let lastLockCheck = 0;
  while (!ended) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const next = await tail.read();
    next.events.forEach(print);
    if (next.events.some(endsRun)) ended = true;
    if (next.reset) ended = true; // the run was archived: a new one started
    if (!ended && Date.now() - lastLockCheck >= LOCK_CHECK_MS) {
      lastLockCheck = Date.now();
      if (!(await lockHeld(conductorDir))) {
        (await tail.read()).events.forEach(print); // what the last writer left
        ended = true;
      }
    }
  }
  return 0;
}
