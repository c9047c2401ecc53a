// `conductor factory --projects <dir>,<dir>` or `--projects factory.yaml`:
// which repositories to rebuild together, which of their specs, and the
// worker limit they share. Everything is checked before anything runs: a
// directory that is not a git repository, a duplicate, or a factory.yaml that
// breaks its schema is bad input (exit 2), located.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { ConductorError } from '../errors.js';
import { schemaProblems } from '../schema/schema-problems.js';
import { schemaErrors } from '../schema/validators.js';
import { sortProblems } from '../problems.js';
import { findRepoRoot } from '../util/repo-root.js';
import { loadYamlFile } from '../yaml/load-yaml.js';
import { docPath } from '../paths.js';

export interface FactoryProject {
  /** Short name for output lines: the directory's name, or its path when two share a name. */
  name: string;
  repoRoot: string;
  /** As written (for messages). */
  given: string;
  specs?: string[];
  all?: boolean;
}

export interface ProjectSet {
  projects: FactoryProject[];
  /** factory.yaml's `concurrency`, when it sets one. */
  concurrency?: number;
  /** The factory.yaml read, if any. */
  source?: string;
}

type Entry = string | { path: string; specs?: string[]; all?: boolean };

/** A comma-separated list of directories, or a YAML file listing them (see conductor/schemas/factory.schema.json). */
export async function readProjects(value: string, cwd: string): Promise<ProjectSet> {
  const trimmed = value.trim();
  if (trimmed === '') throw new ConductorError('USAGE', '--projects needs directories (a,b) or a factory.yaml');
  const asFile = resolve(cwd, trimmed);
  if (/\.ya?ml$/i.test(trimmed) || (existsSync(asFile) && statSync(asFile).isFile())) return readFactoryYaml(asFile, relative(cwd, asFile) || asFile);
  const entries = trimmed.split(',').map((dir) => dir.trim()).filter(Boolean);
  return { projects: resolveEntries(entries, cwd, '--projects') };
}

async function readFactoryYaml(path: string, display: string): Promise<ProjectSet> {
  if (!existsSync(path)) throw new ConductorError('INPUT_INVALID', `${display} not found`, { hint: 'give --projects a factory.yaml that exists, or directories separated by commas' });
  const loaded = await loadYamlFile(path, display);
  const problems = [...loaded.problems];
  if (!loaded.fatal) problems.push(...schemaProblems(schemaErrors('factory', loaded.value ?? null), loaded));
  if (problems.length > 0) throw new ConductorError('INPUT_INVALID', `${display} is not valid`, { problems: sortProblems(problems), hint: `see ${docPath('factory.md')}` });
  const value = loaded.value as { concurrency?: number; projects: Entry[] };
  const projects = resolveEntries(value.projects, dirname(path), display, (index) => ({ file: display, ...loaded.locate(['projects', index]) }));
  return { projects, source: display, ...(value.concurrency !== undefined ? { concurrency: value.concurrency } : {}) };
}

function resolveEntries(entries: readonly Entry[], base: string, source: string, where?: (index: number) => { file: string; line: number; col: number }): FactoryProject[] {
  if (entries.length === 0) throw new ConductorError('USAGE', '--projects needs at least one directory');
  const projects: FactoryProject[] = [];
  entries.forEach((entry, index) => {
    const given = typeof entry === 'string' ? entry : entry.path;
    const at = where ? `${where(index).file}:${where(index).line}:${where(index).col}: ` : '';
    const dir = resolve(base, given);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConductorError('INPUT_INVALID', `${at}project ${given}: no such directory`, { hint: `paths in ${source} are relative to ${where ? 'the file' : 'the current directory'}` });
    const repoRoot = findRepoRoot(dir);
    if (repoRoot !== dir) throw new ConductorError('INPUT_INVALID', `${at}project ${given} is not the top of a git repository`, { hint: repoRoot ? `its repository starts at ${repoRoot}` : 'run git init there, or name the repository itself' });
    const twin = projects.find((p) => p.repoRoot === repoRoot);
    if (twin) throw new ConductorError('INPUT_INVALID', `${at}project ${given} is listed twice (also as ${twin.given})`, { hint: 'each repository once; list several specs under it instead' });
    projects.push({ name: basename(repoRoot), repoRoot, given, ...(typeof entry === 'object' && entry.specs ? { specs: entry.specs } : {}), ...(typeof entry === 'object' && entry.all ? { all: true } : {}) });
  });
  // Output lines are prefixed with the name: two repositories called `api` are told apart by their paths.
  for (const project of projects) {
    if (projects.filter((p) => p.name === project.name).length > 1) project.name = project.given;
  }
  return projects;
}
