// Fitting a worker's context into its byte budget without an agent: collapse
// whitespace, then leave out optional sections in a fixed order. What remains
// over budget goes to the compressor role (phases/prepare-context.ts).
import type { Task } from '../backlog/types.js';
import { contextBytes } from './task-context.js';

/** Optional parts, the first dropped first; acceptance, files, constraints and negative evidence always stay. */
export const DROP_ORDER = ['patterns', 'edge_cases'] as const;
export type Droppable = (typeof DROP_ORDER)[number];

export interface FittedContext {
  text: string;
  bytes: number;
  budget: number;
  fits: boolean;
  /** Sections left out to fit, in order. */
  dropped: Droppable[];
}

export function fitTaskContext(task: Task, budget: number, render: (task: Task) => string): FittedContext {
  let current = task;
  const dropped: Droppable[] = [];
  let text = tidy(render(current));
  for (const section of DROP_ORDER) {
    if (contextBytes(text) <= budget) break;
    if (current.context[section].length === 0) continue;
    current = { ...current, context: { ...current.context, [section]: [] } };
    dropped.push(section);
    text = tidy(render(current));
  }
  const bytes = contextBytes(text);
  return { text, bytes, budget, fits: bytes <= budget, dropped };
}

/** Trailing spaces off, runs of blank lines down to one, one newline at the end. */
export function tidy(text: string): string {
  return `${text
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
