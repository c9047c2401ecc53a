// The backlog agent's reply, as models write it: the YAML taken out of its
// fence (`yaml`, `yml`, any case), or out of the prose and `---` lines around
// it; a backlog written as JSON (in a `json` fence or bare) repaired with
// jsonrepair. Then the mistakes models make in YAML are put right where the
// meaning is plain — tabs as indentation, an unquoted `: ` or a leading `{` in
// a title or description, an item of a text list written as `- a: b` — and
// every other problem on such a line gets a hint saying what to quote.
import { jsonrepair } from 'jsonrepair';
import type { Problem } from '../problems.js';
import { validateBacklogText, type BacklogCheckOptions, type BacklogReport } from './validate-backlog.js';

export interface BacklogReply {
  report: BacklogReport;
  /** The YAML that was validated, after the repairs. */
  text: string;
  /** What was put right, one line each (`line 6 of the YAML: quoted the description`). */
  repairs: string[];
}

/** Keys whose value is one line of text: quoting it cannot change what it means. */
const TEXT_KEYS = new Set(['id', 'title', 'description', 'feature', 'type']);
const MAX_REPAIRS = 50;
const MARKERS_REMOVED = 'removed the --- lines around the backlog';

export function readBacklogReply(reply: string, displayName: string, options: BacklogCheckOptions = {}): BacklogReply {
  const repairs: string[] = [];
  let text = extractBacklog(reply, repairs);
  let report = validateBacklogText(text, displayName, options);
  while (!report.valid && repairs.length < MAX_REPAIRS) {
    const fixed = repairOnce(text, report.problems);
    if (!fixed) break;
    text = fixed.text;
    repairs.push(fixed.what);
    report = validateBacklogText(text, displayName, options);
  }
  if (!report.valid) report = { ...report, problems: report.problems.map((problem) => withHint(problem, text)) };
  return { report, text, repairs };
}

/** The backlog's text in a reply: a yaml fence, else a json fence, else an unlabelled fence, else the reply without the prose around it. */
export function extractBacklog(reply: string, repairs: string[] = []): string {
  const fences = [...reply.matchAll(/^[ \t]*```[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)(?:^[ \t]*```|(?![\s\S]))/gm)].map((m) => ({ label: m[1]!.toLowerCase(), body: m[2]! }));
  const fenced = fences.find((f) => f.label === 'yaml' || f.label === 'yml') ?? fences.find((f) => f.label === 'json' || f.label === 'jsonc') ?? fences.find((f) => f.label === '');
  let text = fenced ? fenced.body : withoutProse(reply, repairs);
  text = withoutDocumentMarkers(text, repairs);
  if (/^\s*[{[]/.test(text)) text = repairedJson(text, repairs);
  return `${text.trim()}\n`;
}

/** From the first line that starts a backlog to the last line that can belong to it. */
function withoutProse(reply: string, repairs: string[]): string {
  const lines = reply.split('\n');
  const start = lines.findIndex((line) => /^(version|feature|tasks)\s*:/.test(line) || /^\s*\{/.test(line));
  if (start === -1) return reply;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || /^[\s#-]/.test(line) || /^[\w-]+\s*:/.test(line) || /^[}\]]/.test(line)) continue;
    end = i;
    break;
  }
  const left = [...lines.slice(0, start), ...lines.slice(end)];
  if (left.some((line) => line.trim() !== '' && !MARKER.test(line))) repairs.push('took the backlog out of the prose around it');
  if (left.some((line) => MARKER.test(line))) repairs.push(MARKERS_REMOVED);
  return lines.slice(start, end).join('\n');
}

/** A YAML document marker: a reply of several documents is read as its one backlog. */
const MARKER = /^(---|\.\.\.)\s*$/;

function withoutDocumentMarkers(text: string, repairs: string[]): string {
  const lines = text.trim().split('\n');
  let start = 0;
  let end = lines.length;
  while (start < end && MARKER.test(lines[start]!)) start++;
  while (end > start && MARKER.test(lines[end - 1]!)) end--;
  if ((start > 0 || end < lines.length) && !repairs.includes(MARKERS_REMOVED)) repairs.push(MARKERS_REMOVED);
  return lines.slice(start, end).join('\n');
}

function repairedJson(text: string, repairs: string[]): string {
  try {
    JSON.parse(text);
    return text;
  } catch {
    try {
      const fixed = jsonrepair(text);
      repairs.push('repaired the JSON backlog (trailing commas, comments, quotes or a cut-off end)');
      return fixed;
    } catch {
      return text;
    }
  }
}

/** One repair at the line of the first problem that has one. */
function repairOnce(text: string, problems: readonly Problem[]): { text: string; what: string } | undefined {
  const lines = text.split('\n');
  if (problems.some((p) => p.kind === 'syntax' && /^Tabs are not allowed/.test(p.message))) {
    const tabbed = lines.map((line) => /^\t+(?! )/.test(line) ? line.replace(/^\t+/, (tabs) => '  '.repeat(tabs.length)) : line);
    if (tabbed.some((line, i) => line !== lines[i]) && !lines.some((line) => /^ +\t|^\t+ /.test(line))) return { text: tabbed.join('\n'), what: 'indented with spaces instead of tabs' };
  }
  for (const problem of problems) {
    const line = lines[problem.line - 1];
    if (line === undefined) continue;
    const quoted = problem.kind === 'syntax' ? quotedTextValue(line) : problem.kind === 'type' && / got a mapping$/.test(problem.message) ? quotedListItem(line) : undefined;
    if (quoted === undefined) continue;
    lines[problem.line - 1] = quoted.line;
    return { text: lines.join('\n'), what: `line ${problem.line} of the YAML: quoted ${quoted.what}` };
  }
  return undefined;
}

/** `  description: Add a flag: --verbose` → `  description: "Add a flag: --verbose"`, for keys that hold one line of text. */
function quotedTextValue(line: string): { line: string; what: string } | undefined {
  const match = /^(\s*(?:-\s+)?)([A-Za-z_][\w-]*):[ \t]+(.*?)\s*$/.exec(line);
  if (!match || !TEXT_KEYS.has(match[2]!) || !needsQuotes(match[3]!)) return undefined;
  return { line: `${match[1]}${match[2]}: ${JSON.stringify(match[3])}`, what: `the ${match[2]}` };
}

/** `      - GET /x returns: 200` (read as a mapping) → `      - "GET /x returns: 200"`, in a list of text. */
function quotedListItem(line: string): { line: string; what: string } | undefined {
  const match = /^(\s*-\s+)([^\s"'{[!&*|>].*?)\s*$/.exec(line);
  if (!match || !match[2]!.includes(': ')) return undefined;
  return { line: `${match[1]}${JSON.stringify(match[2])}`, what: 'a list item holding ": "' };
}

function needsQuotes(value: string): boolean {
  if (value === '' || /^["'|>&*!]/.test(value)) return false;
  return value.includes(': ') || value.includes(' #') || /^[{[]/.test(value);
}

/** A problem on a line whose value needs quotes says so, with the line as it should be. */
function withHint(problem: Problem, text: string): Problem {
  if (problem.hint) return problem;
  if (problem.kind === 'type' && / got a mapping$/.test(problem.message)) return { ...problem, hint: 'if this is text, quote it: an unquoted ": " makes a mapping' };
  if (problem.kind !== 'syntax') return problem;
  const line = text.split('\n')[problem.line - 1] ?? '';
  if (/^\s*\t/.test(line)) return { ...problem, hint: 'indent with spaces, not tabs' };
  const match = /^\s*(?:-\s+)?([A-Za-z_][\w-]*):[ \t]+(.*?)\s*$/.exec(line);
  if (match && needsQuotes(match[2]!)) return { ...problem, hint: `quote this value: ${match[1]}: ${JSON.stringify(match[2])}` };
  return problem;
}
