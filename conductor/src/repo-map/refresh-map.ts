// <docsDir>/repo-map.md (docs/ unless configured), rebuilt only when the tracked tree changed (or on --force).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { git } from '../git/git.js';
import { ConductorError, messageOf } from '../errors.js';
import { repoMapFile } from '../config/docs-dir.js';
import { detectGates } from '../gates/detect-gates.js';
import { writeFileAtomically, writeJsonAtomically } from '../state/atomic-write.js';
import { buildRepoMap } from './build-map.js';

export interface MapResult {
  path: string;
  rebuilt: boolean;
  bytes: number;
  files: number;
}

/**
 * `treeDir` maps another checkout of the repository (the integration worktree
 * after merges); the map is always written to the repository's own `docsDir`.
 */
export async function refreshRepoMap(repoRoot: string, options: { budgetBytes: number; force?: boolean; treeDir?: string; docsDir?: string }): Promise<MapResult> {
  const path = join(repoRoot, repoMapFile(options.docsDir));
  const cacheFile = join(repoRoot, '.conductor', 'repo-map.json');
  const treeDir = options.treeDir ?? repoRoot;
  let listing: string;
  try {
    listing = await git(treeDir).raw(['ls-files', '-s', '-z']);
  } catch (error) {
    throw new ConductorError('INPUT_INVALID', `cannot list the tracked files of ${repoRoot}: ${messageOf(error).trim().split('\n')[0]}`, { hint: 'run conductor inside a git repository' });
  }
  const key = createHash('sha256').update(listing).update(String(options.budgetBytes)).digest('hex');
  const files = listing
    .split('\0')
    .filter(Boolean)
    .map((entry) => entry.slice(entry.indexOf('\t') + 1));
  const cached = existsSync(cacheFile) ? (JSON.parse(readFileSync(cacheFile, 'utf8')) as { key?: string }) : {};
  if (!options.force && cached.key === key && existsSync(path)) {
    return { path, rebuilt: false, bytes: Buffer.byteLength(await readFile(path, 'utf8')), files: files.length };
  }
  const scripts = packageScripts(treeDir);
  const detected = detectGates(treeDir);
  const text = buildRepoMap({ files, scripts, gates: detected.gates, ...(detected.source ? { gatesSource: detected.source } : {}), treeKey: key, budgetBytes: options.budgetBytes });
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomically(path, text);
  await writeJsonAtomically(cacheFile, { key });
  return { path, rebuilt: true, bytes: Buffer.byteLength(text), files: files.length };
}

function packageScripts(dir: string): Record<string, string> {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, unknown> };
    return Object.fromEntries(Object.entries(pkg.scripts ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {};
  }
}
