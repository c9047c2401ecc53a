// The backlog as conductor sees it after validation (CONTRACT §4).

export const TASK_TYPES = ['code', 'test', 'docs', 'refactor', 'migration', 'config', 'chore'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const TASK_STATES = ['pending', 'ready', 'running', 'verifying', 'review', 'merging', 'done', 'failed', 'conflict', 'interrupted', 'blocked', 'skipped'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** States a human may set by hand in BACKLOG.yaml (CONTRACT §4). */
export const HUMAN_STATES: readonly TaskState[] = ['pending', 'blocked', 'skipped', 'done'];

export const TASK_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

export interface TaskContextHints {
  patterns: string[];
  constraints: string[];
  edge_cases: string[];
  negative_evidence: string[];
}

export interface Task {
  id: string;
  title: string;
  type: TaskType;
  description: string;
  depends_on: string[];
  acceptance: string[];
  scope: { files_hint: string[]; forbidden: string[] };
  context: TaskContextHints;
  status: TaskState;
  attempts: number;
  agent?: { provider?: string; model?: string };
}

export interface Backlog {
  version: 1;
  feature: string;
  tasks: Task[];
}

/** Fill the defaults of a schema-valid raw task. */
export function normalizeTask(raw: Record<string, unknown>): Task {
  const scope = (raw.scope ?? {}) as { files_hint?: string[]; forbidden?: string[] };
  const context = (raw.context ?? {}) as Partial<TaskContextHints>;
  const task: Task = {
    id: String(raw.id),
    title: String(raw.title),
    type: (raw.type as TaskType | undefined) ?? 'code',
    description: String(raw.description),
    depends_on: (raw.depends_on as string[] | undefined) ?? [],
    acceptance: (raw.acceptance as string[] | undefined) ?? [],
    scope: { files_hint: scope.files_hint ?? [], forbidden: scope.forbidden ?? [] },
    context: {
      patterns: context.patterns ?? [],
      constraints: context.constraints ?? [],
      edge_cases: context.edge_cases ?? [],
      negative_evidence: context.negative_evidence ?? [],
    },
    status: (raw.status as TaskState | undefined) ?? 'pending',
    attempts: (raw.attempts as number | undefined) ?? 0,
  };
  if (raw.agent) task.agent = raw.agent as Task['agent'];
  return task;
}
