// The worker's whole context (tasks/<id>.context.md), rendered from a template
// with only what the task itself carries: nothing from the planning documents.
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { templatePath } from '../paths.js';
import type { Task } from '../backlog/types.js';

export const DEFAULT_TASK_CONTEXT_BYTES = 3072;

type Render = (data: { task: Task }) => string;
let defaultRender: Render | undefined;

function compile(source: string): Render {
  // Markdown, not HTML: escaping would garble `<T>` and `&&` in descriptions.
  return Handlebars.compile<{ task: Task }>(source, { noEscape: true, strict: false });
}

/** A renderer for the shipped template, or for a repository's own template source. */
export function taskContextRenderer(templateSource?: string): (task: Task) => string {
  const render = templateSource === undefined ? (defaultRender ??= compile(readFileSync(templatePath('task-context.md.hbs'), 'utf8'))) : compile(templateSource);
  return (task) => render({ task });
}

export function renderTaskContext(task: Task): string {
  return taskContextRenderer()(task);
}

export function contextBytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
