// Every command and option, declared once: the parser, `--help` and the docs
// all read this table. Command modules are imported only when run.
import type { CommandContext } from './context.js';

export interface OptionSpec {
  name: string;
  type: 'string' | 'boolean';
  short?: string;
  valueName?: string;
  choices?: readonly string[];
  description: string;
}

export interface CommandSpec {
  name: string;
  /** Positional arguments as shown in usage, e.g. `[path]`. */
  args: string;
  maxArgs: number;
  summary: string;
  options: readonly OptionSpec[];
  load(): Promise<{ run(ctx: CommandContext): Promise<number> }>;
}

/** A command and its arguments, as usage lines show it: no stray space when it takes none. */
export function usage(command: CommandSpec): string {
  return command.args ? `${command.name} ${command.args}` : command.name;
}

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'help', short: 'h', type: 'boolean', description: 'show help' },
  { name: 'version', short: 'v', type: 'boolean', description: 'print the version' },
  { name: 'verbose', type: 'boolean', description: 'show stack traces and more detail' },
  { name: 'no-color', type: 'boolean', description: 'no colour, even on a terminal (as NO_COLOR=1 does)' },
];

const CONFIG: OptionSpec = { name: 'config', type: 'string', valueName: 'FILE', description: 'config file (default: conductor.config.yaml at the repository root)' };
const AGENT_OPTIONS: readonly OptionSpec[] = [
  { name: 'provider', type: 'string', valueName: 'NAME', description: 'the provider for every role and task in this run (overrides provider, roles, routing and tasks\' agent)' },
  { name: 'record', type: 'string', valueName: 'DIR', description: 'store every agent session in DIR (for replay)' },
  { name: 'replay', type: 'string', valueName: 'DIR', description: 'play recorded sessions back from DIR instead of calling agents' },
];
const IMPLEMENT_OPTIONS: readonly OptionSpec[] = [
  { name: 'concurrency', type: 'string', valueName: 'N', description: 'tasks at once, 1-16 (default from config: 3)' },
  { name: 'allow-failing-baseline', type: 'boolean', description: 'go on when the base already fails a gate, without blaming workers for it' },
  { name: 'merge', type: 'boolean', description: 'at the end, merge the integration branch into your current branch (only when every task is done and the checkout is clean)' },
];
const EXECUTOR_OPTIONS: readonly OptionSpec[] = [
  { name: 'queue', type: 'string', valueName: 'URL', description: 'run task attempts on workers: the PostgreSQL job queue (postgres://…, or embedded), with --remote (overrides executor in conductor.config.yaml)' },
  { name: 'remote', type: 'string', valueName: 'URL', description: 'the shared bare git repository the workers fetch from and push to (with --queue)' },
];
const YES: OptionSpec = { name: 'yes', short: 'y', type: 'boolean', description: 'skip the checkpoints (no pause for review)' };
const JSON_OUTPUT: OptionSpec = { name: 'json', type: 'boolean', description: 'print machine-readable JSON' };

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'init',
    args: '',
    maxArgs: 0,
    summary: 'scaffold a repository: .opencode/agent/*.md, a commented conductor.config.yaml, tasks/, specs/ and .gitignore lines',
    options: [{ name: 'force', type: 'boolean', description: 'overwrite files that already exist' }],
    load: () => import('./commands/init.js'),
  },
  {
    name: 'run',
    args: '<feature-request.md>',
    maxArgs: 1,
    summary: 'all phases: plan, backlog, implement; pausing at the checkpoints for review',
    options: [YES, { name: 'restart', type: 'boolean', description: 'start over although the last run is not finished: its files move to .conductor/runs/<id>/ (branches and specs stay)' }, ...IMPLEMENT_OPTIONS, ...EXECUTOR_OPTIONS, ...AGENT_OPTIONS, CONFIG],
    load: () => import('./commands/run.js'),
  },
  {
    name: 'resume',
    args: '',
    maxArgs: 0,
    summary: 'continue after a checkpoint, a crash or Ctrl-C',
    options: [YES, ...IMPLEMENT_OPTIONS, ...EXECUTOR_OPTIONS, ...AGENT_OPTIONS, CONFIG],
    load: () => import('./commands/resume.js'),
  },
  {
    name: 'implement',
    args: '',
    maxArgs: 0,
    summary: 'phases 3-4 on tasks/BACKLOG.yaml: workers in worktrees, gates, review, merge',
    options: [
      { name: 'only', type: 'string', valueName: 'T01,T02', description: 'start only these tasks' },
      ...IMPLEMENT_OPTIONS,
      ...EXECUTOR_OPTIONS,
      ...AGENT_OPTIONS,
      CONFIG,
    ],
    load: () => import('./commands/implement.js'),
  },
  {
    name: 'worker',
    args: '',
    maxArgs: 0,
    summary: 'take task attempts from a distributed executor\'s queue (needs Node >= 22.12) until SIGTERM or Ctrl-C; one line per attempt taken and finished',
    options: [
      { name: 'queue', type: 'string', valueName: 'URL', description: 'the coordinator\'s PostgreSQL queue (postgres://…), or embedded with --repo' },
      { name: 'repo', type: 'string', valueName: 'PATH', description: 'with --queue embedded: the repository whose coordinator runs the embedded PostgreSQL (.conductor/queue-url)' },
      { name: 'concurrency', type: 'string', valueName: 'N', description: 'attempts at once on this worker, 1-64 (default: 1)' },
      { name: 'work-dir', type: 'string', valueName: 'DIR', description: 'where the partial clones and worktrees go (default: ~/.cache/conductor/worker)' },
      { name: 'labels', type: 'string', valueName: 'a,b', description: 'labels of this worker, shown in its first line' },
      { name: 'id', type: 'string', valueName: 'NAME', description: 'this worker\'s id in status and events (default: <host>-<pid>)' },
      { name: 'grace', type: 'string', valueName: 'SECONDS', description: 'on SIGTERM, how long running attempts may finish before they are handed back to the queue (default: 30)' },
    ],
    load: () => import('./commands/worker.js'),
  },
  {
    name: 'plan',
    args: '<feature-request.md>',
    maxArgs: 1,
    summary: 'phase 1: spec, architecture and QA planners in parallel, then PLAN.md',
    options: [...AGENT_OPTIONS, CONFIG],
    load: () => import('./commands/plan.js'),
  },
  {
    name: 'backlog',
    args: '[PLAN.md]',
    maxArgs: 1,
    summary: 'phase 2: PLAN.md to a validated tasks/BACKLOG.yaml',
    options: [...AGENT_OPTIONS, CONFIG],
    load: () => import('./commands/backlog.js'),
  },
  {
    name: 'validate',
    args: '[BACKLOG.yaml]',
    maxArgs: 1,
    summary: 'check a backlog: YAML, schema, ids, dependencies, scope paths and context budget',
    options: [JSON_OUTPUT, CONFIG],
    load: () => import('./commands/validate.js'),
  },
  {
    name: 'doctor',
    args: '',
    maxArgs: 0,
    summary: 'check git, the agent CLIs and their keys (names only), gates, config and routing',
    options: [JSON_OUTPUT, CONFIG],
    load: () => import('./commands/doctor.js'),
  },
  {
    name: 'status',
    args: '[BACKLOG.yaml]',
    maxArgs: 1,
    summary: 'one table of every task: state, attempt, elapsed time, tokens, cost; then the earlier runs and factory builds',
    options: [
      JSON_OUTPUT,
      { name: 'watch', type: 'boolean', description: 'redraw every two seconds until Ctrl-C' },
      { name: 'run', type: 'string', valueName: 'ID', description: 'show an earlier run or a factory build instead (an id, a unique prefix or a build\'s tag; status lists them)' },
      CONFIG,
    ],
    load: () => import('./commands/status.js'),
  },
  {
    name: 'events',
    args: '',
    maxArgs: 0,
    summary: 'the run\'s event stream: phases, task states, sessions, gates, reviews, merges',
    options: [
      { name: 'follow', short: 'f', type: 'boolean', description: 'keep printing events as they come, until the run ends' },
      { name: 'run', type: 'string', valueName: 'ID', description: 'an earlier run (an id or a unique prefix; default: the current or last run)' },
      { name: 'json', type: 'boolean', description: 'print JSON Lines, one event each (the format of .conductor/events.jsonl)' },
    ],
    load: () => import('./commands/events.js'),
  },
  {
    name: 'ui',
    args: '[repo ...]',
    maxArgs: 16,
    summary: 'a local web dashboard of the run, its tasks, timeline and earlier runs (of this repository, or of each one named)',
    options: [
      { name: 'port', type: 'string', valueName: 'N', description: 'the port to serve on (default: 4747; 0 picks a free one)' },
      { name: 'host', type: 'string', valueName: 'ADDR', description: 'the address to bind (default: 127.0.0.1, this machine only)' },
      { name: 'open', type: 'boolean', description: 'open the dashboard in the default browser' },
    ],
    load: () => import('./commands/ui.js'),
  },
  {
    name: 'finish',
    args: '',
    maxArgs: 0,
    summary: 'close a run whose tasks are all done: merge its branch into yours (clean checkout only), free its worktree, offer to delete its salvage refs',
    options: [{ name: 'yes', short: 'y', type: 'boolean', description: 'delete the run\'s salvage refs without asking' }],
    load: () => import('./commands/finish.js'),
  },
  {
    name: 'abandon',
    args: '',
    maxArgs: 0,
    summary: 'stop tracking the run: its files move to .conductor/runs/<id>/, its worktrees are freed, its branch and salvage refs stay',
    options: [],
    load: () => import('./commands/abandon.js'),
  },
  {
    name: 'retry',
    args: '<id>',
    maxArgs: 1,
    summary: 'set a blocked or failed task back to pending with 0 attempts, for the next resume',
    options: [],
    load: () => import('./commands/retry.js'),
  },
  {
    name: 'repo-map',
    args: '',
    maxArgs: 0,
    summary: '(re)build the repo map (docs/repo-map.md; docsDir moves it) from the tracked files, when the tree changed',
    options: [{ name: 'force', type: 'boolean', description: 'rebuild even when the tree did not change' }, CONFIG],
    load: () => import('./commands/repo-map.js'),
  },
  {
    name: 'clean',
    args: '[BACKLOG.yaml]',
    maxArgs: 1,
    summary: 'remove the worktrees and task branches of finished tasks (unmerged work is saved first)',
    options: [],
    load: () => import('./commands/clean.js'),
  },
  {
    name: 'graph',
    args: '[BACKLOG.yaml]',
    maxArgs: 1,
    summary: 'print the dependency graph with each task\'s state',
    options: [{ name: 'format', type: 'string', valueName: 'FORMAT', choices: ['mermaid', 'dot'], description: 'mermaid (default) or dot' }, CONFIG],
    load: () => import('./commands/graph.js'),
  },
  {
    name: 'report',
    args: '',
    maxArgs: 0,
    summary: 'what a run cost and how it went: tokens, cost, context sizes, session reuse, attempts, makespan',
    options: [
      JSON_OUTPUT,
      { name: 'run', type: 'string', valueName: 'ID', description: 'the run to report (an id or a unique prefix; default: the last run)' },
      { name: 'concurrency', type: 'string', valueName: 'N', description: 'the concurrency the run used, for the makespan\'s lower bound (default from config)' },
      CONFIG,
    ],
    load: () => import('./commands/report.js'),
  },
  {
    name: 'factory',
    args: '[specs/<id> ...]',
    maxArgs: 64,
    summary: 'rebuild code from specs/ without re-planning (default: the specs changed since their last build)',
    options: [
      { name: 'all', type: 'boolean', description: 'rebuild every spec' },
      { name: 'status', type: 'boolean', description: 'list each spec as built, changed since its last build, or never built' },
      { name: 'onto', type: 'string', valueName: 'REF', description: "the base of the fresh integration branch (default: the spec's base commit)" },
      { name: 'projects', type: 'string', valueName: 'DIRS|FILE', description: 'several repositories at once (a,b or a factory.yaml), sharing one worker limit (--concurrency, default 3) fairly' },
      ...IMPLEMENT_OPTIONS.filter((o) => o.name !== 'merge'),
      ...AGENT_OPTIONS,
      CONFIG,
    ],
    load: () => import('./commands/factory.js'),
  },
  {
    name: 'demo',
    args: '',
    maxArgs: 0,
    summary: 'the whole pipeline on a bundled example, with recorded sessions: no agent, no key',
    options: [],
    load: () => import('./commands/demo.js'),
  },
];
