// The dashboard's views as HTML from the page's model: the board, the timeline
// (a row per task, a segment per attempt step), the dependency graph, a diff.
import { duration, esc, kTokens, money } from './format.js';

export const STATES = ['pending', 'ready', 'running', 'verifying', 'review', 'merging', 'done', 'failed', 'conflict', 'interrupted', 'blocked', 'skipped'];
const ALWAYS = new Set(['pending', 'running', 'review', 'done']);

export function boardHtml(rows) {
  const byState = new Map(STATES.map((s) => [s, []]));
  for (const r of rows) (byState.get(r.state) ?? byState.set(r.state, []).get(r.state)).push(r);
  return [...byState]
    .filter(([state, rows]) => rows.length > 0 || ALWAYS.has(state))
    .map(([state, rows]) => `<div class="column" data-column="${esc(state)}"><h3>${esc(state)} (${rows.length})</h3>${rows.map(card).join('')}</div>`)
    .join('');
}

function card(r) {
  const elapsed = r.startedAt ? duration((r.endedAt ? Date.parse(r.endedAt) : Date.now()) - Date.parse(r.startedAt)) : '';
  const tokens = r.inputTokens + r.outputTokens ? `${kTokens(r.inputTokens)}/${kTokens(r.outputTokens)} tok` : '';
  const meta = [r.attempt ? `attempt ${r.attempt}` : '', elapsed, tokens, r.costUsd !== undefined ? money(r.costUsd) : ''].filter(Boolean).join(' · ');
  return `<button class="card" data-task="${esc(r.id)}" data-state="${esc(r.state)}" title="${esc(r.note ?? '')}"><span class="id">${esc(r.id)}</span>${esc(r.title)}<span class="meta">${esc(meta)}</span></button>`;
}

export function timelineHtml(model) {
  const rows = [...model.rows.values()];
  const start = model.first;
  if (start === undefined || model.segments.size === 0) {
    return '<p>No task has started yet.</p>';
  }
  const end = Math.max(model.run?.state === 'running' ? Date.now() : model.last, start + 1000);
  const pct = (t) => (((t - start) / (end - start)) * 100).toFixed(3);
  const legend = `<div class="legend">${['setup', 'worker', 'gates', 'review', 'merge'].map((s) => `<span><i class="step-${s}"></i>${s}</span>`).join('')}<span><i class="seg failed step-worker" style="position:static"></i>failed</span></div>`;
  const lines = rows.map((r) => {
    const segs = (model.segments.get(r.id) ?? []).map((s) => {
      const to = s.to ?? end;
      return `<span class="seg step-${s.step}${s.failed ? ' failed' : ''}" data-attempt="${s.attempt}" data-step="${s.step}" data-failed="${s.failed}" style="left:${pct(s.from)}%;width:${(pct(to) - pct(s.from)).toFixed(3)}%" title="${esc(`${r.id} attempt ${s.attempt}: ${s.step}${s.failed ? ' (failed)' : ''}, ${duration(to - s.from)}`)}"></span>`;
    });
    return `<div class="row" data-row="${esc(r.id)}"><span class="label" data-task="${esc(r.id)}">${esc(r.id)}</span><div class="track">${segs.join('')}</div></div>`;
  });
  return legend + lines.join('');
}

export function graphHtml(model) {
  const ids = [...model.rows.keys()];
  if (model.deps.size === 0) {
    return '<p>The dependencies show once implementation starts.</p>';
  }
  if (ids.length > 200) {
    return `<p>${ids.length} tasks: too many to draw; conductor graph prints the graph as Mermaid or DOT.</p>`;
  }
  // Layers by longest path from a task with no dependency.
  const depth = new Map();
  const depthOf = (id, seen = new Set()) => {
    if (depth.has(id)) return depth.get(id);
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...(model.deps.get(id) ?? []).filter((x) => model.rows.has(x)).map((x) => depthOf(x, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  const layers = [];
  for (const id of ids) (layers[depthOf(id)] ??= []).push(id);
  const W = 90, H = 26, GX = 40, GY = 12;
  const pos = new Map();
  layers.forEach((layer, x) => layer.forEach((id, y) => pos.set(id, { x: x * (W + GX) + 4, y: y * (H + GY) + 4 })));
  const width = layers.length * (W + GX);
  const height = Math.max(...layers.map((l) => l.length)) * (H + GY) + 8;
  const edges = ids.flatMap((id) => (model.deps.get(id) ?? []).filter((d) => pos.has(d)).map((d) => {
    const a = pos.get(d), b = pos.get(id);
    return `<path class="edge" d="M${a.x + W},${a.y + H / 2} C${a.x + W + GX / 2},${a.y + H / 2} ${b.x - GX / 2},${b.y + H / 2} ${b.x},${b.y + H / 2}"/>`;
  }));
  const nodes = ids.map((id) => {
    const p = pos.get(id), r = model.rows.get(id);
    return `<g class="node" data-task="${esc(id)}" data-state="${esc(r.state)}"><rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="4"/><text x="${p.x + 6}" y="${p.y + 17}">${esc(id)} · ${esc(r.state)}</text></g>`;
  });
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${edges.join('')}${nodes.join('')}</svg>`;
}

export function diffHtml(diff) {
  return diff.split('\n').map((line) => {
    const cls = line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : line.startsWith('@@') ? 'hunk' : '';
    return cls ? `<span class="${cls}">${esc(line)}</span>` : esc(line);
  }).join('\n');
}
