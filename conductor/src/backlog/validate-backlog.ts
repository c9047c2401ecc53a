// `conductor validate`: every problem in a backlog, located — YAML, schema,
// ids, dependencies, scope paths and the worker-context budget.
import { basename, dirname } from 'node:path';
import type { Problem } from '../problems.js';
import { formatPath, sortProblems } from '../problems.js';
import { schemaErrors } from '../schema/validators.js';
import { schemaProblems } from '../schema/schema-problems.js';
import { DEFAULT_YAML_LIMITS, loadYamlFile, parseYaml, type LoadedYaml, type YamlLimits, type YamlPath } from '../yaml/load-yaml.js';
import { didYouMean } from '../util/did-you-mean.js';
import { contextBytes, contextSizeBound, DEFAULT_TASK_CONTEXT_BYTES, shippedContextModel, taskContextRenderer } from '../context/task-context.js';
import { buildDependencyGraph, findCyclePaths, tasksOnOrAfterCycles } from './dependency-graph.js';
import { SymlinkGuard, unsafePathReason } from './scope-paths.js';
import { normalizeTask, TASK_ID_PATTERN, type Backlog, type Task } from './types.js';
import { findRepoRoot } from '../util/repo-root.js';
import { formatCount } from '../util/format.js';

export interface BacklogCheckOptions {
  /** Repository root used to check that scope paths stay inside it; found from the file when omitted. */
  repoRoot?: string;
  taskContextBytes?: number;
  limits?: YamlLimits;
  /** Worker-context template source, when the repository overrides the shipped one. */
  contextTemplate?: string;
}

export interface BacklogReport {
  file: string;
  valid: boolean;
  problems: Problem[];
  /** The normalized backlog, present only when valid. */
  backlog?: Backlog;
  /** The largest worker context among the checked tasks. */
  largestContext?: { id: string; bytes: number; budget: number };
  loaded: LoadedYaml;
}

export async function validateBacklogFile(path: string, displayName: string, options: BacklogCheckOptions = {}): Promise<BacklogReport> {
  const loaded = await loadYamlFile(path, displayName, options.limits ?? DEFAULT_YAML_LIMITS);
  const repoRoot = options.repoRoot ?? defaultRepoRoot(path);
  return checkBacklog(loaded, { ...options, repoRoot });
}

export function validateBacklogText(text: string, displayName: string, options: BacklogCheckOptions = {}): BacklogReport {
  return checkBacklog(parseYaml(text, displayName, options.limits ?? DEFAULT_YAML_LIMITS), options);
}

function defaultRepoRoot(backlogPath: string): string {
  const dir = dirname(backlogPath);
  return findRepoRoot(dir) ?? (basename(dir) === 'tasks' ? dirname(dir) : dir);
}

export function checkBacklog(loaded: LoadedYaml, options: BacklogCheckOptions = {}): BacklogReport {
  const problems = [...loaded.problems];
  if (loaded.fatal) return { file: loaded.file, valid: false, problems: sortProblems(problems), loaded };

  const value = loaded.value;
  const errors = schemaErrors('backlog', value);
  problems.push(...schemaProblems(errors, loaded, describeBacklogPath(value)));

  const rawTasks = isRecord(value) && Array.isArray(value.tasks) ? value.tasks : [];
  const brokenTasks = new Set<number>();
  for (const error of errors) {
    const match = /^\/tasks\/(\d+)/.exec(error.instancePath);
    if (match) brokenTasks.add(Number(match[1]));
  }

  const ctx: CheckContext = { loaded, problems };
  const ids = checkIds(rawTasks, ctx);
  checkDependencies(rawTasks, ids, ctx);
  checkScopePaths(rawTasks, options.repoRoot, ctx);
  checkWrittenFields(rawTasks, ctx);

  const indexed: IndexedTask[] = [];
  rawTasks.forEach((raw, index) => {
    if (!brokenTasks.has(index) && isRecord(raw)) indexed.push({ task: normalizeTask(raw), index });
  });
  const largestContext = checkContextBudget(indexed, options, ctx);
  const tasks = indexed.map((entry) => entry.task);

  const valid = problems.length === 0;
  const report: BacklogReport = { file: loaded.file, valid, problems: sortProblems(problems), loaded };
  if (largestContext) report.largestContext = largestContext;
  if (valid && isRecord(value)) report.backlog = { version: 1, feature: String(value.feature), tasks };
  return report;
}

interface CheckContext {
  loaded: LoadedYaml;
  problems: Problem[];
}

function report(ctx: CheckContext, path: YamlPath, problem: Omit<Problem, 'file' | 'line' | 'col' | 'path'>, target: 'key' | 'value' = 'value'): void {
  ctx.problems.push({ file: ctx.loaded.file, ...ctx.loaded.locate(path, target), path: formatPath(path), ...problem });
}

const STYLE_WORDS = { alias: 'an alias', anchored: 'an anchored value', 'block scalar': 'a block scalar (> or |)' } as const;

/**
 * `status` and `attempts` are the fields conductor writes back: they must be plain values, or an alias would
 * stand for a state nobody wrote there (`status: *default` read as done) and a rewrite would break a block scalar.
 */
function checkWrittenFields(rawTasks: unknown[], ctx: CheckContext): void {
  rawTasks.forEach((raw, index) => {
    if (!isRecord(raw)) return;
    for (const field of ['status', 'attempts'] as const) {
      if (!(field in raw)) continue;
      const style = ctx.loaded.styleOf(['tasks', index, field]);
      if (style === undefined) continue;
      report(ctx, ['tasks', index, field], {
        kind: 'not-plain',
        message: `\`${field}\` is written as ${STYLE_WORDS[style]}; conductor reads and rewrites this field, so it must be a plain value`,
        hint: `write it on one line, e.g. ${field}: ${field === 'status' ? 'pending' : '0'}`,
      });
    }
  });
}

/** Map of valid ids to the index of their first definition. */
function checkIds(rawTasks: unknown[], ctx: CheckContext): Map<string, number> {
  const ids = new Map<string, number>();
  rawTasks.forEach((raw, index) => {
    if (!isRecord(raw) || typeof raw.id !== 'string' || !TASK_ID_PATTERN.test(raw.id)) return;
    const first = ids.get(raw.id);
    if (first === undefined) {
      ids.set(raw.id, index);
      return;
    }
    const firstAt = ctx.loaded.locate(['tasks', first, 'id']);
    report(ctx, ['tasks', index, 'id'], {
      kind: 'duplicate-id',
      message: `task id "${raw.id}" is already used by the task at line ${firstAt.line}`,
      hint: 'give each task its own id',
    });
  });
  return ids;
}

function checkDependencies(rawTasks: unknown[], ids: Map<string, number>, ctx: CheckContext): void {
  const known = [...ids.keys()];
  const edges: { id: string; depends_on: string[] }[] = [];
  rawTasks.forEach((raw, index) => {
    if (!isRecord(raw) || typeof raw.id !== 'string' || ids.get(raw.id) !== index) return;
    const deps = Array.isArray(raw.depends_on) ? raw.depends_on : [];
    const valid: string[] = [];
    deps.forEach((dep, depIndex) => {
      if (typeof dep !== 'string' || !TASK_ID_PATTERN.test(dep)) return; // the schema reports these
      const path = ['tasks', index, 'depends_on', depIndex];
      if (dep === raw.id) {
        report(ctx, path, { kind: 'self-dependency', message: `task ${raw.id} depends on itself`, hint: `remove "${dep}" from its depends_on` });
      } else if (!ids.has(dep)) {
        const guess = didYouMean(dep, known.filter((id) => id !== raw.id));
        report(ctx, path, { kind: 'unknown-dependency', message: `task ${raw.id} depends on "${dep}", which is not a task in this backlog`, hint: guess ? `did you mean "${guess}"?` : undefined });
      } else {
        valid.push(dep);
      }
    });
    edges.push({ id: raw.id, depends_on: valid });
  });

  const suspects = tasksOnOrAfterCycles(edges);
  const onCycles = suspects.size === 0 ? [] : findCyclePaths(buildDependencyGraph(edges.filter((e) => suspects.has(e.id))));
  for (const cycle of onCycles) {
    const [from, to] = cycle;
    const fromIndex = from === undefined ? undefined : ids.get(from);
    if (fromIndex === undefined) continue;
    const raw = rawTasks[fromIndex] as Record<string, unknown>;
    const depIndex = Array.isArray(raw.depends_on) ? raw.depends_on.indexOf(to) : -1;
    report(ctx, depIndex >= 0 ? ['tasks', fromIndex, 'depends_on', depIndex] : ['tasks', fromIndex, 'depends_on'], {
      kind: 'cycle',
      message: cycle.join(' → '),
      hint: 'remove one of these dependencies to break the cycle',
    });
  }
}

function checkScopePaths(rawTasks: unknown[], repoRoot: string | undefined, ctx: CheckContext): void {
  const guard = repoRoot === undefined ? undefined : new SymlinkGuard(repoRoot);
  const verdicts = new Map<string, string | undefined>(); // the same globs recur in every task
  const reasonFor = (entry: string, isGlob: boolean) => {
    const key = `${isGlob ? 'g' : 'f'}${entry}`;
    if (!verdicts.has(key)) verdicts.set(key, unsafePathReason(entry, guard, isGlob));
    return verdicts.get(key);
  };
  rawTasks.forEach((raw, index) => {
    if (!isRecord(raw) || !isRecord(raw.scope)) return;
    for (const [key, isGlob] of [['files_hint', false], ['forbidden', true]] as const) {
      const entries = raw.scope[key];
      if (!Array.isArray(entries)) continue;
      entries.forEach((entry, entryIndex) => {
        if (typeof entry !== 'string' || entry === '') return;
        const reason = reasonFor(entry, isGlob);
        if (reason) {
          const owner = typeof raw.id === 'string' ? `task ${raw.id}: ` : '';
          report(ctx, ['tasks', index, 'scope', key, entryIndex], { kind: 'unsafe-path', message: `${owner}${key} entry ${JSON.stringify(entry)} ${reason}` });
        }
      });
    }
  });
}

interface IndexedTask {
  task: Task;
  index: number;
}

function checkContextBudget(tasks: IndexedTask[], options: BacklogCheckOptions, ctx: CheckContext): BacklogReport['largestContext'] {
  const budget = options.taskContextBytes ?? DEFAULT_TASK_CONTEXT_BYTES;
  // With the shipped template, a cheap upper bound spares rendering the tasks that cannot matter.
  const model = options.contextTemplate === undefined ? shippedContextModel() : undefined;
  const ranked = tasks.map((entry) => ({ ...entry, bound: model ? contextSizeBound(entry.task, model) : Infinity }));
  ranked.sort((a, b) => b.bound - a.bound || a.index - b.index);
  let render: ((task: Task) => string) | undefined;
  let largest: BacklogReport['largestContext'];
  for (const { task, index, bound } of ranked) {
    if (bound <= budget && largest && bound <= largest.bytes) break; // neither over budget nor larger: nor is any after it
    render ??= taskContextRenderer(options.contextTemplate);
    const bytes = contextBytes(render(task));
    if (!largest || bytes > largest.bytes) largest = { id: task.id, bytes, budget };
    if (bytes <= budget) continue;
    report(ctx, ['tasks', index, 'id'], {
      kind: 'budget',
      message: `task ${task.id}'s worker context is ${formatCount(bytes)} bytes, ${formatCount(bytes - budget)} over the ${formatCount(budget)}-byte budget`,
      hint: 'shorten its description or context, or split the task',
    });
  }
  return largest;
}

/** Names nodes by task id where possible: `task T02: depends_on`. */
function describeBacklogPath(value: unknown) {
  const tasks = isRecord(value) && Array.isArray(value.tasks) ? value.tasks : [];
  return (path: YamlPath): string => {
    if (path[0] === 'tasks' && typeof path[1] === 'number') {
      const task = tasks[path[1]];
      const id = isRecord(task) && typeof task.id === 'string' ? task.id : undefined;
      const rest = formatPath(path.slice(2));
      const name = id ? `task ${id}` : `tasks[${path[1]}]`;
      return rest ? `${name}: ${rest}` : name;
    }
    return path.length ? formatPath(path) : '';
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
