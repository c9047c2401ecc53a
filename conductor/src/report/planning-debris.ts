// The context-hygiene check on what workers and reviewers were really sent:
// does any saved prompt carry a planning document (SPEC, ARCH, QA, PLAN,
// context.md)? A document counts as carried when the prompt holds at least
// three of its substantial lines (all of them, for a document with fewer);
// headings are left out, being structure that other texts share.

export interface PlanningDoc {
  /** Repository-relative path, for the report. */
  path: string;
  text: string;
}

export interface DebrisHit {
  sessionId: string;
  role: string;
  taskId?: string;
  doc: string;
  lines: number;
}

export interface PromptText {
  sessionId: string;
  role: string;
  taskId?: string;
  text: string;
}

const SUBSTANTIAL = 20;
const ENOUGH = 3;

/** The lines that identify a document: trimmed, not headings, at least 20 characters, each once. */
export function fingerprintLines(text: string): string[] {
  return [...new Set(text.split('\n').map((line) => line.trim()).filter((line) => line.length >= SUBSTANTIAL && !line.startsWith('#')))];
}

export function findPlanningDebris(prompts: readonly PromptText[], docs: readonly PlanningDoc[]): DebrisHit[] {
  const prints = docs.map((doc) => ({ doc: doc.path, lines: fingerprintLines(doc.text) })).filter((d) => d.lines.length > 0);
  const hits: DebrisHit[] = [];
  for (const prompt of prompts) {
    for (const print of prints) {
      const found = print.lines.filter((line) => prompt.text.includes(line)).length;
      if (found >= Math.min(ENOUGH, print.lines.length)) {
        hits.push({ sessionId: prompt.sessionId, role: prompt.role, ...(prompt.taskId ? { taskId: prompt.taskId } : {}), doc: print.doc, lines: found });
      }
    }
  }
  return hits;
}
