// The worker's whole context (tasks/<id>.context.md), rendered from a template
// with only what the task itself carries: nothing from the planning documents.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot, templatePath } from '../paths.js';
import type { Task } from '../backlog/types.js';

export const DEFAULT_TASK_CONTEXT_BYTES = 3072;
export const TASK_CONTEXT_TEMPLATE = 'task-context.md.hbs';

type Render = (data: { task: Task }) => string;
const require = createRequire(import.meta.url);
let defaultRender: Render | undefined;

/** Markdown, not HTML: escaping would garble `<T>` and `&&` in descriptions. */
export const TEMPLATE_OPTIONS = { noEscape: true, strict: false } as const;

function compile(source: string): Render {
  const Handlebars = require('handlebars') as typeof import('handlebars');
  return Handlebars.compile<{ task: Task }>(source, TEMPLATE_OPTIONS);
}

/** The shipped template as precompiled by the build, when it is current: only the small runtime loads. */
function precompiledShipped(source: string): Render | undefined {
  const file = join(packageRoot(), 'dist', 'validators', 'task-context.template.cjs');
  if (!existsSync(file)) return undefined;
  const module = require(file) as { hash: string; spec: object };
  if (module.hash !== hashTemplate(source)) return undefined;
  const runtime = require('handlebars/runtime') as { template(spec: object): Render };
  return runtime.template(module.spec);
}

export function shippedTemplateSource(): string {
  return readFileSync(templatePath(TASK_CONTEXT_TEMPLATE), 'utf8');
}

/** A renderer for the shipped template, or for a repository's own template source. */
export function taskContextRenderer(templateSource?: string): (task: Task) => string {
  if (templateSource === undefined && !defaultRender) {
    const source = shippedTemplateSource();
    defaultRender = precompiledShipped(source) ?? compile(source);
  }
  const render = templateSource === undefined ? defaultRender! : compile(templateSource);
  return (task) => render({ task });
}

export function renderTaskContext(task: Task): string {
  return taskContextRenderer()(task);
}

export function contextBytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * A linear upper bound on a template's output size, measured by rendering
 * probe tasks: `base` bytes with every text 1 byte long and every list one item
 * long; then, per field, at most `perByte` bytes for each further byte of its
 * text, `perItem` bytes for each further list item, and `emptyListSaving`
 * bytes fewer when a list is empty (its section is left out). It lets
 * validation skip rendering the tasks that cannot be near the budget.
 */
export interface ContextSizeModel {
  templateHash: string;
  base: number;
  perByte: Record<string, number>;
  perItem: Record<string, number>;
  emptyListSaving: Record<string, number>;
}

const LISTS = ['depends_on', 'acceptance', 'files_hint', 'forbidden', 'patterns', 'constraints', 'edge_cases', 'negative_evidence'] as const;
type ListName = (typeof LISTS)[number];
const TEXTS = ['id', 'title', 'type', 'description', 'status', 'attempts', 'provider', 'model'] as const;
type TextName = (typeof TEXTS)[number];

function probe(text: (name: TextName) => string, list: (name: ListName) => string[]): Task {
  return {
    id: text('id'),
    title: text('title'),
    type: text('type') as Task['type'],
    description: text('description'),
    depends_on: list('depends_on'),
    acceptance: list('acceptance'),
    scope: { files_hint: list('files_hint'), forbidden: list('forbidden') },
    context: { patterns: list('patterns'), constraints: list('constraints'), edge_cases: list('edge_cases'), negative_evidence: list('negative_evidence') },
    status: text('status') as Task['status'],
    attempts: Number(text('attempts').replace(/x/g, '1')),
    agent: { provider: text('provider'), model: text('model') },
  };
}

export function hashTemplate(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}

export function calibrateContextModel(source: string): ContextSizeModel {
  const render = taskContextRenderer(source);
  const size = (task: Task) => contextBytes(render(task));
  const LONG = 'x'.repeat(9); // numbers stay exact at this length
  const one = () => 'x';
  const base = size(probe(one, () => ['x']));
  const perByte: Record<string, number> = {};
  const perItem: Record<string, number> = {};
  const emptyListSaving: Record<string, number> = {};
  for (const name of TEXTS) perByte[name] = Math.max(0, Math.ceil((size(probe((n) => (n === name ? LONG : 'x'), () => ['x'])) - base) / 8));
  for (const name of LISTS) {
    perByte[name] = Math.max(0, Math.ceil((size(probe(one, (n) => [n === name ? LONG : 'x'])) - base) / 8));
    perItem[name] = Math.max(0, size(probe(one, (n) => (n === name ? ['x', 'x'] : ['x']))) - base);
    emptyListSaving[name] = base - size(probe(one, (n) => (n === name ? [] : ['x'])));
  }
  return { templateHash: hashTemplate(source), base, perByte, perItem, emptyListSaving };
}

/** The model for the shipped template, precomputed by the build when it is current. */
let shippedModel: { model: ContextSizeModel | undefined } | undefined;

/** Read once per process: the scheduler validates the backlog before every decision. */
export function shippedContextModel(): ContextSizeModel | undefined {
  shippedModel ??= { model: readShippedModel() };
  return shippedModel.model;
}

function readShippedModel(): ContextSizeModel | undefined {
  const file = join(packageRoot(), 'dist', 'validators', 'task-context-model.json');
  if (!existsSync(file)) return undefined;
  const model = JSON.parse(readFileSync(file, 'utf8')) as ContextSizeModel;
  return model.templateHash === hashTemplate(shippedTemplateSource()) ? model : undefined;
}

/** Upper bound of a task's rendered context under `model`. */
export function contextSizeBound(task: Task, model: ContextSizeModel): number {
  let bound = model.base;
  const text = (name: string, value: string | undefined) => {
    if (value !== undefined && value.length > 1) bound += (model.perByte[name] ?? 0) * (Buffer.byteLength(value) - 1);
  };
  const list = (name: ListName, values: readonly string[]) => {
    if (values.length === 0) bound -= model.emptyListSaving[name] ?? 0;
    else bound += (model.perItem[name] ?? 0) * (values.length - 1);
    for (const value of values) text(name, value);
  };
  text('id', task.id);
  text('title', task.title);
  text('type', task.type);
  text('description', task.description);
  text('status', task.status);
  text('attempts', String(task.attempts));
  text('provider', task.agent?.provider);
  text('model', task.agent?.model);
  list('depends_on', task.depends_on);
  list('acceptance', task.acceptance);
  list('files_hint', task.scope.files_hint);
  list('forbidden', task.scope.forbidden);
  list('patterns', task.context.patterns);
  list('constraints', task.context.constraints);
  list('edge_cases', task.context.edge_cases);
  list('negative_evidence', task.context.negative_evidence);
  return bound;
}
