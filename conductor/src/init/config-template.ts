// The conductor.config.yaml that `conductor init` writes: every key with its
// default, commented out, then routing examples (CONTRACT §7). Tests load both
// blocks uncommented, so the file stays true to the schema and the defaults.

/** Every key at its default (uncommenting `provider` turns off picking the first installed CLI). */
export const CONFIG_DEFAULTS_YAML = `provider: opencode          # default provider for every role; unset: the first installed CLI, opencode first
checkpoints: [backlog]      # pause after these phases for review: plan, backlog; --yes skips them
concurrency: 3              # tasks at once, 1-16
attempts: 3                 # attempts per task before it is blocked
review:
  formatRetries: 2          # new reviewer sessions after a reply with no usable verdict; then the task waits in review for you
budgets:
  taskContextBytes: 3072    # largest worker context
  featureRequestBytes: 5120 # largest feature request
  repoMapBytes: 51200       # largest repo map
  maxCostUsd: {}            # cost caps, e.g. { perTask: 2, perRun: 20 }; default: none
timeouts:
  inactivityMinutes: 20     # an agent silent this long is killed as hung
  hardMinutes: 60           # no agent call runs longer
  gateMinutes: 15           # no gate runs longer (unless the gate sets its own)
roles: {}                   # per-role provider and model (see the examples below)
routing: []                 # per-task routing by type or keyword, first match wins
providers: {}               # tune a built-in provider or define a command provider
pricing: {}                 # USD per million tokens per model, for cost figures and caps
gates_after_merge: false    # true: run the gates again on the integration branch after each merge
sandbox: auto               # bwrap when bubblewrap works here (only the worktree writable), else none
docsDir: docs               # where the repo map (repo-map.md) and run reports (runs/) go, for you to commit or ignore
# worktreeDir: default ../<repo>.worktrees (beside the checkout, unseen by your test runners and linters)
# gates: default detected from package.json, Cargo.toml, go.mod, pyproject.toml or Makefile
# setup: default detected: node_modules cloned from your checkout, or the lockfile's install (docs/workflow.md)
# executor: default none: every attempt runs on this machine; { queue: embedded, remote: <bare repo> } sends them to workers (docs/distributed.md)
`;

/** What routing and the rest look like when set. */
export const CONFIG_EXAMPLES_YAML = `roles:
  planner-spec: { provider: gemini, model: gemini-2.5-flash }
  implementer:  { provider: claude, model: claude-sonnet-4-5 }
routing:
  - match: { type: docs }
    use: { provider: gemini }
providers:
  my-agent: { command: ["my-agent", "--prompt-file", "{{promptFile}}", "--model", "{{model}}"] }
gates:
  - { name: test, run: ["npm", "test"] }
budgets:
  maxCostUsd: { perTask: 2, perRun: 20 }
pricing:
  claude-sonnet-4-5: { inputPerMillion: 3, outputPerMillion: 15 }
`;

const comment = (yaml: string) =>
  yaml
    .trimEnd()
    .split('\n')
    .map((line) => (line.startsWith('#') ? line : `# ${line}`))
    .join('\n');

export function configTemplate(): string {
  return [
    '# conductor.config.yaml: every key is optional; the defaults are shown commented out.',
    '# Reference: docs/CONFIG_SCHEMA.md in the conductor package (not this repository). Check it with: conductor doctor',
    '',
    comment(CONFIG_DEFAULTS_YAML),
    '',
    '# Examples: model routing, per-task routing, a command provider, gates, cost caps.',
    comment(CONFIG_EXAMPLES_YAML),
    '',
  ].join('\n');
}
