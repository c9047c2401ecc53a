// A task's life in a run as steps on a time axis, from its status history:
// per attempt the worker, the setup and gates, the review and the merge, each
// marked when it ended the attempt (failed gates, a review asking for
// changes, a merge conflict, a stop). Pure: what the SVG and the text
// timeline draw.
import { eventOf, type TaskEvent } from '../state/task-events.js';

export const STEP_KINDS = ['worker', 'setup', 'gates', 'review', 'merge'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface TaskStep {
  kind: StepKind;
  attempt: number;
  /** Epoch milliseconds. */
  start: number;
  end: number;
  /** The step ended its attempt badly: the event's kind (failed, conflict, blocked, stopped) and cause. */
  failed?: { kind: string; cause?: string };
  /** Still under way when the report was made. */
  open?: boolean;
}

const STEP_OF_STATE: Partial<Record<string, StepKind>> = { running: 'worker', verifying: 'gates', review: 'review', merging: 'merge' };
const BAD_KINDS = new Set(['failed', 'conflict', 'blocked', 'stopped']);

/**
 * The steps of one task between `after` and `before` (epoch ms); an open step ends at `now`. A
 * verifying step whose closing event says how long the setup took (data.setupMs) is split into
 * setup and gates; a setup error marks the whole step as setup.
 */
export function taskSteps(history: readonly TaskEvent[], window: { after: number; before: number; now: number }): TaskStep[] {
  const steps: TaskStep[] = [];
  let open: TaskStep | undefined;
  const close = (event: TaskEvent, at: number) => {
    if (!open) return;
    open.end = Math.max(open.start, at);
    delete open.open;
    if (event.kind !== undefined && BAD_KINDS.has(event.kind)) open.failed = { kind: event.kind, ...(event.cause ? { cause: event.cause } : {}) };
    if (event.cause === 'setup-error') open.kind = 'setup';
    const setupMs = event.data?.setupMs;
    if (open.kind === 'gates' && typeof setupMs === 'number' && setupMs > 0) {
      const split = Math.min(open.end, open.start + setupMs);
      steps.push({ kind: 'setup', attempt: open.attempt, start: open.start, end: split });
      open.start = split;
    }
    steps.push(open);
    open = undefined;
  };
  for (const raw of history) {
    const at = Date.parse(raw.at);
    if (!(at > window.after && at < window.before)) continue;
    const event = eventOf(raw);
    // A reviewer that gave no verdict leaves the task in review: the review step ends there, waiting for a human.
    const waiting = event.kind === 'waiting';
    if (open && !waiting && event.from === event.to) continue; // the same state, its record updated
    close(waiting ? { ...event, kind: 'stopped' } : event, at);
    const kind = waiting ? undefined : STEP_OF_STATE[event.to];
    if (kind) open = { kind, attempt: event.attempt ?? 0, start: at, end: at, open: true };
  }
  if (open) {
    open.end = Math.max(open.start, window.now);
    steps.push(open);
  }
  return steps;
}
