// Every prompt conductor writes: the role's prompt (.opencode/agent/<role>.md)
// followed by the role's input rendered from a handlebars template. A
// repository overrides either by keeping its own copy: `.opencode/agent/<role>.md`
// and `.opencode/templates/<role>.md.hbs`.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot, templatePath } from '../paths.js';
import type { Role } from '../config/types.js';

const require = createRequire(import.meta.url);

export function rolePromptPath(role: Role, repoRoot: string): string {
  const own = join(repoRoot, '.opencode', 'agent', `${role}.md`);
  return existsSync(own) ? own : join(packageRoot(), '.opencode', 'agent', `${role}.md`);
}

export function roleTemplatePath(role: Role, repoRoot: string): string {
  const own = join(repoRoot, '.opencode', 'templates', `${role}.md.hbs`);
  return existsSync(own) ? own : templatePath(join('roles', `${role}.md.hbs`));
}

/** The role prompt's body, without its frontmatter. */
export function rolePromptBody(role: Role, repoRoot: string): string {
  const text = readFileSync(rolePromptPath(role, repoRoot), 'utf8');
  const match = /^---\n[\s\S]*?\n---\n/.exec(text);
  return (match ? text.slice(match[0].length) : text).trim();
}

export function renderRoleInput(role: Role, data: Record<string, unknown>, repoRoot: string): string {
  const Handlebars = require('handlebars') as typeof import('handlebars');
  const source = readFileSync(roleTemplatePath(role, repoRoot), 'utf8');
  // Documents end in newlines of their own; the template decides the spacing.
  const tidy = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, typeof value === 'string' ? value.trimEnd() : value]));
  return Handlebars.compile(source, { noEscape: true, strict: false })(tidy).trim();
}

/** The whole prompt of one call: instructions, then input. */
export function buildPrompt(role: Role, data: Record<string, unknown>, repoRoot: string): string {
  return `${rolePromptBody(role, repoRoot)}\n\n---\n\n${renderRoleInput(role, data, repoRoot)}\n`;
}
