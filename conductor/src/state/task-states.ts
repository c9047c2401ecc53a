// A task's life as an explicit table (CONTRACT §5). Conductor moves tasks only
// along these edges; a human may set pending, blocked, skipped or done at any time.
import { HUMAN_STATES, type TaskState } from '../backlog/types.js';

const CONDUCTOR_MOVES: Record<TaskState, readonly TaskState[]> = {
  pending: ['ready', 'blocked'],
  ready: ['running', 'pending', 'blocked'],
  running: ['verifying', 'failed', 'interrupted', 'blocked'],
  verifying: ['review', 'failed', 'interrupted'],
  review: ['merging', 'running', 'failed', 'interrupted', 'ready'],
  merging: ['done', 'conflict', 'interrupted', 'failed'],
  failed: ['ready', 'running', 'blocked', 'interrupted'], // interrupted: stopped while the task was being rewritten
  conflict: ['ready', 'running', 'blocked'],
  interrupted: ['ready', 'running', 'pending', 'blocked'],
  blocked: [],
  skipped: [],
  done: [],
};

export type Actor = 'conductor' | 'human';

export function canTransition(from: TaskState, to: TaskState, by: Actor): boolean {
  if (by === 'human') return HUMAN_STATES.includes(to);
  return CONDUCTOR_MOVES[from].includes(to);
}

/** States in which no work is under way and none will start without a human. */
export function isSettled(state: TaskState): boolean {
  return state === 'done' || state === 'skipped' || state === 'blocked';
}
