// The dependency graph as text, for `conductor graph`. Arrows point from a task
// to the tasks that depend on it (the order work flows).
import type { Backlog, TaskState } from '../backlog/types.js';

const COLORS: Record<TaskState, string> = {
  pending: '#eeeeee',
  ready: '#dbe9ff',
  running: '#fff3c4',
  verifying: '#fff3c4',
  review: '#fde2c8',
  merging: '#e3d7ff',
  done: '#d4edda',
  failed: '#f8d7da',
  conflict: '#f8d7da',
  interrupted: '#f3e1c4',
  blocked: '#f5c6cb',
  skipped: '#e2e3e5',
};

export type GraphFormat = 'mermaid' | 'dot';

export function renderGraph(backlog: Backlog, format: GraphFormat): string {
  return format === 'dot' ? renderDot(backlog) : renderMermaid(backlog);
}

export function renderMermaid(backlog: Backlog): string {
  const nodeId = new Map(backlog.tasks.map((task, i) => [task.id, `t${i}`]));
  const lines = ['flowchart LR', `  %% ${backlog.feature}: arrows point from a task to the tasks that depend on it`];
  for (const task of backlog.tasks) {
    lines.push(`  ${nodeId.get(task.id)}["${mermaidText(`${task.id} · ${task.title}`)}<br/>${task.status}"]:::${task.status}`);
  }
  for (const task of backlog.tasks) {
    for (const dep of task.depends_on) lines.push(`  ${nodeId.get(dep)} --> ${nodeId.get(task.id)}`);
  }
  const used = new Set(backlog.tasks.map((t) => t.status));
  for (const state of Object.keys(COLORS) as TaskState[]) {
    if (used.has(state)) lines.push(`  classDef ${state} fill:${COLORS[state]},stroke:#555`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderDot(backlog: Backlog): string {
  const lines = [
    `digraph "${dotText(backlog.feature)}" {`,
    '  // arrows point from a task to the tasks that depend on it',
    '  rankdir=LR;',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
  ];
  for (const task of backlog.tasks) {
    lines.push(`  "${dotText(task.id)}" [label="${dotText(`${task.id} · ${task.title}`)}\\n(${task.status})", fillcolor="${COLORS[task.status]}"];`);
  }
  for (const task of backlog.tasks) {
    for (const dep of task.depends_on) lines.push(`  "${dotText(dep)}" -> "${dotText(task.id)}";`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function mermaidText(text: string): string {
  return text.replace(/[&"<>#]/g, (c) => ({ '&': '#amp;', '"': '#quot;', '<': '#lt;', '>': '#gt;', '#': '#35;' })[c] ?? c).replace(/\s+/g, ' ');
}

function dotText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n');
}
