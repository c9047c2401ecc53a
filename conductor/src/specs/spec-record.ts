// specs/<feature>/spec.json: what makes a spec the durable artifact. It holds
// the spec's version, a content hash per document, the commit it was planned
// on, the provider and model per role, and every build: the version built,
// the result commit and its tree. A change to a document that conductor did
// not write itself (a human's edit) moves the version on, so factory mode
// can tell built, changed and never-built specs apart.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomically } from '../state/atomic-write.js';

export const SPEC_FILES = ['context.md', 'SPEC.md', 'ARCH.md', 'QA.md', 'PLAN.md', 'BACKLOG.yaml'] as const;

export interface BuildRecord {
  version: number;
  contentHash: string;
  hashes: SpecRecord['hashes'];
  resultCommit: string;
  resultTree: string;
  branch: string;
  base: string;
  runId?: string;
  mode: 'run' | 'factory';
  builtAt: string;
}

export interface SpecRecord {
  spec: string;
  version: number;
  contentHash: string;
  hashes: Partial<Record<(typeof SPEC_FILES)[number], string>>;
  baseCommit?: string;
  runId?: string;
  roles?: Record<string, { provider: string; model?: string }>;
  createdAt: string;
  updatedAt: string;
  builds: BuildRecord[];
}

export type SpecState = { kind: 'never built' } | { kind: 'built'; build: BuildRecord } | { kind: 'changed'; build: BuildRecord; files: string[] };

export function specRecordPath(specDir: string): string {
  return join(specDir, 'spec.json');
}

export async function hashSpec(specDir: string): Promise<Pick<SpecRecord, 'hashes' | 'contentHash'>> {
  const hashes: SpecRecord['hashes'] = {};
  const all = createHash('sha256');
  for (const file of SPEC_FILES) {
    const text = await readFile(join(specDir, file)).catch(() => undefined);
    if (text === undefined) continue;
    hashes[file] = createHash('sha256').update(text).digest('hex');
    all.update(`${file}\0${hashes[file]}\0`);
  }
  return { hashes, contentHash: all.digest('hex') };
}

export async function readSpecRecord(specDir: string): Promise<SpecRecord | undefined> {
  try {
    const value = JSON.parse(await readFile(specRecordPath(specDir), 'utf8')) as SpecRecord;
    return typeof value.version === 'number' && Array.isArray(value.builds) ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface SpecUpdate {
  /** The run writing the documents: its own writes keep the version; anyone else's change moves it on. */
  runId?: string;
  baseCommit?: string;
  roles?: SpecRecord['roles'];
  build?: Omit<BuildRecord, 'version' | 'contentHash' | 'hashes'>;
}

/** Re-hash the spec's documents, move the version on for a change conductor did not make, record what is given. */
export async function updateSpecRecord(specDir: string, slug: string, update: SpecUpdate = {}): Promise<SpecRecord> {
  const now = new Date().toISOString();
  const previous = await readSpecRecord(specDir);
  const current = await hashSpec(specDir);
  const changed = previous !== undefined && previous.contentHash !== current.contentHash;
  const sameRun = update.runId !== undefined && previous?.runId === update.runId;
  const record: SpecRecord = {
    spec: slug,
    version: (previous?.version ?? 1) + (changed && !sameRun ? 1 : 0),
    ...current,
    ...(previous?.baseCommit ? { baseCommit: previous.baseCommit } : {}),
    ...(previous?.runId ? { runId: previous.runId } : {}),
    ...(previous?.roles ? { roles: previous.roles } : {}),
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    builds: previous?.builds ?? [],
  };
  if (update.baseCommit) record.baseCommit = update.baseCommit;
  if (update.runId) record.runId = update.runId;
  if (update.roles) record.roles = update.roles;
  if (update.build) record.builds = [...record.builds, { ...update.build, version: record.version, contentHash: record.contentHash, hashes: record.hashes }];
  if (!previous || JSON.stringify({ ...previous, updatedAt: '' }) !== JSON.stringify({ ...record, updatedAt: '' })) await writeJsonAtomically(specRecordPath(specDir), record);
  return record;
}

/** Built (its documents are what was last built), changed since its last build, or never built. */
export function specState(record: SpecRecord): SpecState {
  const build = record.builds.at(-1);
  if (!build) return { kind: 'never built' };
  if (build.contentHash === record.contentHash) return { kind: 'built', build };
  const files = SPEC_FILES.filter((file) => build.hashes[file] !== record.hashes[file]);
  return { kind: 'changed', build, files };
}
