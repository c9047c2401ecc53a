// Colour on a terminal (#17): picocolors' formatters, switched on or off per
// output stream by the CLI layer. Renderers take a Paint and default to
// `plain`, so nothing below the CLI decides whether a terminal is there.
import picocolors from 'picocolors';
import type { TaskState } from '../backlog/types.js';

export type Paint = ReturnType<typeof picocolors.createColors>;

/** Formatters that return their input unchanged. */
export const plain: Paint = picocolors.createColors(false);

export function paintFor(enabled: boolean | undefined): Paint {
  return enabled ? picocolors.createColors(true) : plain;
}

/**
 * Whether a stream gets colour: a terminal does, unless `NO_COLOR` is set to anything but the empty
 * string (no-color.org) or the command line says `--no-color`; a pipe or a file never does.
 */
export function wantsColor(isTTY: boolean, env: NodeJS.ProcessEnv, argv: readonly string[]): boolean {
  if (argv.includes('--no-color')) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY && env.TERM !== 'dumb';
}

/** A task state in the colour that says how it is going: green done, red stuck, cyan under way. */
export function paintState(paint: Paint, state: TaskState | string): string {
  switch (state) {
    case 'done':
      return paint.green(state);
    case 'failed':
    case 'blocked':
    case 'conflict':
      return paint.red(state);
    case 'interrupted':
      return paint.yellow(state);
    case 'running':
    case 'verifying':
    case 'review':
    case 'merging':
      return paint.cyan(state);
    case 'skipped':
    case 'pending':
    case 'ready':
      return paint.dim(state);
    default:
      return state;
  }
}
