// A property of every edit conductor makes to tasks/BACKLOG.yaml (#15): the
// file still validates afterwards, the edited fields read back as written, and
// nothing else changes — over random documents written as people write them
// (comments, flow and block styles, quoted values, odd indentation) and random
// sequences of conductor's edits (status and attempts writes, done corrections,
// retries, a rebase's rewrite of a task). Seeded, so a failure repeats.
import { describe, expect, it } from 'vitest';
import { replaceTask, setTaskFields } from '../src/backlog/backlog-document.js';
import { TASK_STATES, type Backlog, type TaskState } from '../src/backlog/types.js';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { seededRandom } from './helpers/random.js';

type Next = () => number;
const pick = <T>(next: Next, items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
const chance = (next: Next, p: number) => next() < p;

/** A scalar as a person might write it: plain, single- or double-quoted. */
function scalar(next: Next, value: string): string {
  return pick(next, [value, `'${value}'`, `"${value}"`]);
}

function comment(next: Next, indent: string): string {
  return chance(next, 0.3) ? `${indent}# ${pick(next, ['TODO ask Sam', 'reviewed: ok', 'status: done  <- not really', 'see #12', ''])}\n` : '';
}

/** One task in block or flow style, keys in a shuffled order, status and attempts sometimes left out. */
function task(next: Next, id: string, earlier: readonly string[], indent: string): string {
  const deps = earlier.filter(() => chance(next, 0.3));
  const fields: [string, string, string][] = [
    ['id', id, id],
    ['title', scalar(next, `Task ${id}`), `"Task ${id}"`],
    ['description', scalar(next, `Do ${id} well`), `"Do ${id} well"`],
    ['acceptance', '[it works]', '[it works]'],
    ['scope', `{ files_hint: [src/${id.toLowerCase()}.ts] }`, `{ files_hint: [src/${id.toLowerCase()}.ts] }`],
  ];
  if (deps.length) fields.push(['depends_on', `[${deps.join(', ')}]`, `[${deps.join(', ')}]`]);
  if (chance(next, 0.6)) fields.push(['status', scalar(next, pick(next, ['pending', 'done', 'blocked', 'skipped', 'failed'])), 'pending']);
  if (chance(next, 0.5)) fields.push(['attempts', String(Math.floor(next() * 3)), '0']);
  const order = [fields[0]!, ...fields.slice(1).sort(() => next() - 0.5)];
  if (chance(next, 0.3)) return `${indent}- { ${order.map(([k, , flow]) => `${k}: ${flow}`).join(', ')} }${chance(next, 0.3) ? '  # one line' : ''}\n`;
  const inner = `${indent}  `;
  return order
    .map(([k, v], i) => {
      const line = k === 'acceptance' && chance(next, 0.5) ? `${k}:\n${inner}  - it works` : `${k}: ${v}${chance(next, 0.15) ? '   # why' : ''}`;
      return `${i === 0 ? `${indent}- ` : inner}${line}\n${comment(next, inner)}`;
    })
    .join('');
}

function document(next: Next): { text: string; ids: string[] } {
  const count = 1 + Math.floor(next() * 5);
  const ids = Array.from({ length: count }, (_, i) => `T${String(i + 1).padStart(2, '0')}`);
  const indent = pick(next, ['', '  ', '    ']);
  const body = ids.map((id, i) => `${comment(next, indent)}${task(next, id, ids.slice(0, i), indent)}`).join(chance(next, 0.3) ? '\n' : '');
  const head = `${chance(next, 0.5) ? '# The backlog for the demo, reviewed by hand.\n\n' : ''}version: 1\nfeature: ${scalar(next, 'demo')}\n`;
  return { text: `${head}${comment(next, '')}tasks:\n${body}${chance(next, 0.3) ? '# the end\n' : ''}`, ids };
}

type Edit = { name: string; apply(text: string): string; expect(backlog: Backlog): void };

/** One of conductor's edits to a task of `backlog`. */
function edit(next: Next, backlog: Backlog): Edit {
  const target = pick(next, backlog.tasks);
  const id = target.id;
  const kind = Math.floor(next() * 4);
  const state = (b: Backlog) => b.tasks.find((t) => t.id === id)!;
  if (kind === 0) {
    // A transition: status and attempts together (task-record.ts).
    const status: TaskState = pick(next, TASK_STATES);
    const attempts = Math.floor(next() * 4);
    return { name: `${id} -> ${status}/${attempts}`, apply: (text) => setTaskFields(text, id, { status, attempts }), expect: (b) => expect(state(b)).toMatchObject({ status, attempts }) };
  }
  if (kind === 1) {
    // A correction: the recorded done put back, or an unrecorded done taken away (done-authority.ts).
    const status: TaskState = pick(next, ['done', 'pending']);
    return { name: `${id} corrected to ${status}`, apply: (text) => setTaskFields(text, id, { status }), expect: (b) => expect(state(b).status).toBe(status) };
  }
  if (kind === 2) {
    // A retry: back to pending with its attempts cleared.
    return { name: `${id} retried`, apply: (text) => setTaskFields(text, id, { status: 'pending', attempts: 0 }), expect: (b) => expect(state(b)).toMatchObject({ status: 'pending', attempts: 0 }) };
  }
  // A rebase: the task rewritten, with awkward text; its state stays as the file has it.
  const title = pick(next, ['Bucket: refill # fast', "it's \"quoted\"", '- a dash', 'plain title']);
  const lesson = pick(next, ['do not touch: the config', '#not a comment', 'x'.repeat(90)]);
  const before = { status: target.status, attempts: target.attempts };
  return {
    name: `${id} rebased`,
    apply: (text) => replaceTask(text, id, { ...target, title, context: { ...target.context, negative_evidence: [...target.context.negative_evidence, lesson] } }),
    expect: (b) => expect(state(b)).toMatchObject({ title, ...before, context: { negative_evidence: [...target.context.negative_evidence, lesson] } }),
  };
}

describe('every edit conductor makes to BACKLOG.yaml', () => {
  it('leaves a valid file with the edit in it and nothing else changed, over 300 random documents and edit sequences', () => {
    const next = seededRandom(20261202);
    for (let n = 0; n < 300; n++) {
      const { text: original, ids } = document(next);
      let text = original;
      let backlog = validateBacklogText(text, 'BACKLOG.yaml').backlog;
      expect(backlog, `document ${n} is not valid to begin with:\n${text}`).toBeDefined();
      const steps: string[] = [];
      for (let e = 0, edits = 1 + Math.floor(next() * 6); e < edits; e++) {
        const change = edit(next, backlog!);
        steps.push(change.name);
        const out = change.apply(text);
        const report = validateBacklogText(out, 'BACKLOG.yaml');
        const context = `document ${n} after ${steps.join(', ')}:\n--- before\n${text}--- after\n${out}`;
        expect(report.problems, context).toEqual([]);
        change.expect(report.backlog!);
        // The other tasks are as they were.
        for (const other of backlog!.tasks.filter((t) => !change.name.startsWith(`${t.id} `))) expect(report.backlog!.tasks.find((t) => t.id === other.id), context).toEqual(other);
        expect(report.backlog!.tasks.map((t) => t.id)).toEqual(ids);
        text = out;
        backlog = report.backlog;
      }
      // The human's comments survive conductor's edits.
      if (original.startsWith('# The backlog')) expect(text.startsWith('# The backlog for the demo, reviewed by hand.\n')).toBe(true);
    }
  });
});
