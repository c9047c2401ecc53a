// conductor.config.yaml after defaults are applied (CONTRACT §7).
import type { TaskType } from '../backlog/types.js';

export const ROLES = ['planner-spec', 'planner-arch', 'planner-qa', 'plan-merge', 'backlog', 'implementer', 'reviewer', 'rebase', 'compressor'] as const;
export type Role = (typeof ROLES)[number];

export const BUILTIN_PROVIDERS = ['opencode', 'claude', 'codex', 'gemini', 'ollama', 'replay'] as const;

export interface Use {
  provider?: string;
  model?: string;
}

export interface RoutingRule {
  match: { type?: TaskType; keyword?: string };
  use: Use;
}

export interface ProviderSettings {
  command?: string[];
  model?: string;
  env?: Record<string, string>;
  /** HTTP providers (ollama). */
  baseUrl?: string;
  /** Extra arguments for a built-in CLI (e.g. codex `-c key=value`). */
  args?: string[];
  /** How long a CLI may keep retrying against a rate limit before the call is stopped as `quota`. */
  quotaGraceSeconds?: number;
}

/** How a task's worktree is prepared before the gates (overrides detection; docs/workflow.md "Preparing worktrees"). */
export interface SetupConfig {
  /** Run in the worktree instead of the detected preparation, as an argument array. */
  command?: string[];
  /** Untracked files of your checkout (`.env`) copied into each worktree. */
  copy?: string[];
  timeoutSeconds?: number;
}

export interface GateConfig {
  name: string;
  run: string[];
  timeoutMinutes?: number;
}

/** USD per million tokens, for one model. */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** Cost caps in USD; unset means no cap. */
export interface CostCaps {
  perTask?: number;
  perRun?: number;
}

export interface ConductorConfig {
  provider: string;
  /** False when `provider` is the default: then the first installed CLI is used, opencode first. */
  providerChosen: boolean;
  /**
   * Never read from the file: set for one run by `--provider NAME` (or `--replay DIR`, which means the replay
   * provider). Every call of that run goes to this provider, whatever `roles`, `routing` or a task's `agent` say.
   */
  providerOverride?: string;
  roles: Partial<Record<Role, Use>>;
  routing: RoutingRule[];
  providers: Record<string, ProviderSettings>;
  /** `undefined` means "detect from the project". */
  gates: GateConfig[] | undefined;
  /** Re-run the gates on the integration branch after each merge (CONTRACT §7, issue #6). */
  gates_after_merge: boolean;
  checkpoints: ('plan' | 'backlog')[];
  concurrency: number;
  budgets: { taskContextBytes: number; featureRequestBytes: number; repoMapBytes: number; maxCostUsd: CostCaps };
  /** Per model, for cost figures when a CLI reports tokens but no cost. */
  pricing: Record<string, ModelPrice>;
  attempts: number;
  /** `formatRetries`: new reviewer sessions after a reply with no usable verdict (issue #13). */
  review: { formatRetries: number };
  timeouts: { inactivityMinutes: number; hardMinutes: number; gateMinutes: number };
  /**
   * `bwrap`: agents run under bubblewrap, the filesystem read-only but for their own directories;
   * `auto` (the default): bwrap where it works, none elsewhere, unless CONDUCTOR_SANDBOX names one — resolved
   * once before anything runs (resolveSandbox).
   */
  sandbox: 'auto' | 'none' | 'bwrap';
  /** Where task worktrees live, relative to the repository; unset: `../<repo>.worktrees/` (worktree-location.ts). */
  worktreeDir?: string;
  /** Where the repo map and run reports go, relative to the repository (docs-dir.ts). */
  docsDir: string;
  setup?: SetupConfig;
  /** Task attempts on remote workers (docs/distributed.md); unset: every attempt runs here. */
  executor?: ExecutorConfig;
}

/** The distributed executor: a PostgreSQL queue (or `embedded`) and a shared bare git remote. */
export interface ExecutorConfig {
  queue: string;
  remote: string;
  heartbeatSeconds?: number;
  providerCaps?: Record<string, number>;
  /** The labels a worker must have (`conductor worker --labels`) to take an attempt, by its provider and by its task's type. */
  labels?: { providers?: Record<string, string[]>; types?: Record<string, string[]> };
}

export const DEFAULT_CONFIG: ConductorConfig = {
  provider: 'opencode',
  providerChosen: false,
  roles: {},
  routing: [],
  providers: {},
  gates: undefined,
  gates_after_merge: false,
  checkpoints: ['backlog'],
  concurrency: 3,
  budgets: { taskContextBytes: 3072, featureRequestBytes: 5120, repoMapBytes: 51200, maxCostUsd: {} },
  pricing: {},
  attempts: 3,
  review: { formatRetries: 2 },
  timeouts: { inactivityMinutes: 20, hardMinutes: 60, gateMinutes: 15 },
  sandbox: 'auto',
  docsDir: 'docs',
};
