// Reading a feature request: within its byte budget, its title turned into
// the feature's slug, the seed guide's template sections checked, and its
// "Don't touch" constraint turned into forbidden globs for every task.
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConductorError } from '../errors.js';
import { describeFsError } from '../yaml/load-yaml.js';
import { formatCount } from '../util/format.js';

export const TEMPLATE_SECTIONS = ['User Story', 'Problem Statement', 'Requirements', 'Constraints', 'Success Criteria'] as const;

export interface FeatureRequest {
  text: string;
  title: string;
  slug: string;
  missingSections: string[];
  /** Globs from "Don't touch:" lines, added to every task's scope.forbidden. */
  dontTouch: string[];
}

export async function readFeatureRequest(path: string, display: string, budgetBytes: number): Promise<FeatureRequest> {
  const unreadable = (error: unknown) => new ConductorError('INPUT_INVALID', `${display}: ${describeFsError(error)}`, { hint: 'pass the path of your feature request, e.g. conductor plan feature-request.md' });
  const { size } = await stat(path).catch((error: unknown) => {
    throw unreadable(error);
  });
  if (size > budgetBytes) {
    throw new ConductorError('INPUT_INVALID', `${display} is ${formatCount(size)} bytes, over the ${formatCount(budgetBytes)}-byte budget for a feature request`, {
      hint: 'keep it to the problem, requirements and constraints; link longer material by path',
    });
  }
  // A directory passes stat; reading it (or a file we may not read) is bad input too.
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw unreadable(error);
  });
  return parseFeatureRequest(text, basename(path).replace(/\.[^.]+$/, ''));
}

export function parseFeatureRequest(text: string, fallbackName: string): FeatureRequest {
  const heading = /^#\s+(.+)$/m.exec(text)?.[1]?.trim();
  const title = (heading ?? fallbackName).replace(/^feature request:\s*/i, '').trim() || fallbackName;
  const headings = [...text.matchAll(/^#{2,3}\s+(.+?)\s*$/gm)].map((m) => m[1]!.toLowerCase());
  const missingSections = TEMPLATE_SECTIONS.filter((section) => !headings.includes(section.toLowerCase()));
  const dontTouch = [...text.matchAll(/^\s*[-*]\s*don['’]?t touch:\s*(.+)$/gim)]
    .flatMap((m) => m[1]!.split(/[,;]/))
    .map((entry) => entry.trim().replace(/^`|`$/g, ''))
    .filter((entry) => entry !== '' && !/^\[.*\]$/.test(entry) && !/^(none|n\/a|-)$/i.test(entry));
  return { text, title, slug: slugify(title) || slugify(fallbackName) || 'feature', missingSections, dontTouch };
}

export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}
