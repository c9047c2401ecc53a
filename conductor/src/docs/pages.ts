// The generated reference pages: docs/BACKLOG_SCHEMA.md, docs/CONFIG_SCHEMA.md and docs/FACTORY_SCHEMA.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSchema } from '../schema/validators.js';
import { packageRoot } from '../paths.js';
import { renderSchemaMarkdown } from './schema-markdown.js';

export interface GeneratedDoc {
  /** Path relative to the package root. */
  path: string;
  content: string;
}

export function generatedDocs(): GeneratedDoc[] {
  const example = readFileSync(join(packageRoot(), 'examples', 'rate-limiter', 'BACKLOG.yaml'), 'utf8');
  return [
    {
      path: 'docs/BACKLOG_SCHEMA.md',
      content: renderSchemaMarkdown(loadSchema('backlog'), {
        title: 'BACKLOG.yaml reference',
        source: 'conductor/schemas/backlog.schema.json',
        intro: [
          '`tasks/BACKLOG.yaml` is the live backlog and the one source of truth for task definitions.',
          'Check it with `conductor validate`; editors that speak the YAML language server validate it as you type,',
          'through the `# yaml-language-server: $schema=…` line conductor writes at the top.',
          'Conductor changes only `status`, `attempts` and, after a rebase, a task\'s definition, and keeps your comments and formatting.',
        ].join('\n'),
        example,
      }),
    },
    {
      path: 'docs/CONFIG_SCHEMA.md',
      content: renderSchemaMarkdown(loadSchema('config'), {
        title: 'conductor.config.yaml reference',
        source: 'conductor/schemas/config.schema.json',
        intro: [
          '`conductor.config.yaml` at the repository root is optional; every key has a default.',
          'Pass another file with `--config FILE`. Problems are reported as `file:line:col error kind: message` and exit with code 2.',
        ].join('\n'),
        example: CONFIG_EXAMPLE,
      }),
    },
    {
      path: 'docs/FACTORY_SCHEMA.md',
      content: renderSchemaMarkdown(loadSchema('factory'), {
        title: 'factory.yaml reference',
        source: 'conductor/schemas/factory.schema.json',
        intro: [
          'A `factory.yaml` lists the repositories `conductor factory --projects factory.yaml` rebuilds together (see factory.md).',
          'Problems are reported as `file:line:col error kind: message` and exit with code 2, before any repository starts.',
        ].join('\n'),
        example: FACTORY_EXAMPLE,
      }),
    },
  ];
}

/** A factory.yaml for the reference page; a test proves it valid. */
export const FACTORY_EXAMPLE = `concurrency: 4          # workers at once across every project
projects:
  - ../api                # the specs changed since their last build
  - path: ../web
    specs: [checkout, search]
  - { path: ../docs-site, all: true }
`;

/** The contract's example config; a test proves it valid. */
export const CONFIG_EXAMPLE = `provider: opencode                 # default provider for every role
roles:                             # per-role routing
  planner-spec: { provider: gemini, model: gemini-2.5-flash }
  implementer:  { provider: claude, model: claude-sonnet-4-5 }
routing:                           # per-task routing, first match wins
  - match: { type: docs }
    use: { provider: gemini }
providers:                         # a new provider is any CLI
  my-agent: { command: ["my-agent", "--prompt-file", "{{promptFile}}"] }
gates:
  - { name: test, run: ["npm", "test"] }
checkpoints: [backlog]
concurrency: 3
budgets:
  taskContextBytes: 3072
  featureRequestBytes: 5120
  repoMapBytes: 51200
  maxCostUsd: { perTask: 2, perRun: 20 }   # optional cost caps (default: none)
pricing:                           # USD per million tokens, when a CLI reports tokens but no cost
  claude-sonnet-4-5: { inputPerMillion: 3, outputPerMillion: 15 }
attempts: 3
timeouts: { inactivityMinutes: 20, hardMinutes: 60, gateMinutes: 15 }
`;
