// What the backlog session is told about the format: short, exact, and the
// same rules `conductor validate` enforces (docs/BACKLOG_SCHEMA.md has them all).
export const BACKLOG_SUMMARY = `Reply with YAML of exactly this shape (unknown keys are errors):

\`\`\`yaml
version: 1
feature: <slug>
tasks:
  - id: T01                      # a letter, then up to 31 letters, digits, _ or -; unique
    title: Token bucket module   # one line
    type: code                   # code | test | docs | refactor | migration | config | chore
    description: |
      What to build, for a worker who sees nothing but this task.
    depends_on: []               # ids of tasks that must finish first; no cycles
    acceptance:                  # at least one testable criterion
      - allows N requests per window and rejects the N+1th
    scope:
      files_hint:                # at least one; "path" or "path:12-40", relative to the repository root
        - src/limiter.ts
      forbidden: []              # globs this task must not touch
    context:                     # optional; snippets by reference, never whole files
      patterns: ["functional style, see src/util/retry.ts:10-42"]
      constraints: []
      edge_cases: []
      negative_evidence: []
\`\`\`

Leave out status and attempts: conductor keeps them.`;
