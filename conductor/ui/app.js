// The dashboard's page: GET /api/run once for the board, then the run's event
// stream (GET /api/events, Server-Sent Events) keeps the board, the timeline and
// the run's figures live. No framework, no network beyond this server.
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
const STATES = ['pending', 'ready', 'running', 'verifying', 'review', 'merging', 'done', 'failed', 'conflict', 'interrupted', 'blocked', 'skipped'];
const ALWAYS = new Set(['pending', 'running', 'review', 'done']);
const STEP_OF = { running: 'worker', verifying: 'gates', review: 'review', merging: 'merge' };
const ENDED_BADLY = new Set(['failed', 'conflict', 'blocked', 'interrupted']);

let view = { repo: 0, run: undefined };
let model;
let source;
let detailOf;
let logTimer;
let renderQueued = false;

function freshModel() {
  return { run: null, rows: new Map(), deps: new Map(), segments: new Map(), open: new Map(), first: undefined, last: undefined, tokensIn: 0, tokensOut: 0, cost: undefined, fromEvents: false, ended: false };
}

async function api(path, init) {
  const sep = path.includes('?') ? '&' : '?';
  const res = await fetch(`${path}${sep}repo=${view.repo}${view.run ? `&run=${encodeURIComponent(view.run)}` : ''}`, init);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? res.statusText);
  return body;
}

function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
const kTokens = (n) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n));
const money = (usd) => (usd === undefined ? '-' : `$${usd.toFixed(2)}`);

async function start() {
  const repos = await fetch('/api/repos').then((r) => r.json());
  if (repos.length > 1) {
    $('repo-pick').hidden = false;
    $('repo').innerHTML = repos.map((r) => `<option value="${r.index}">${esc(r.name)}</option>`).join('');
    $('repo').onchange = () => load({ repo: Number($('repo').value), run: undefined });
  }
  $('run').onchange = () => load({ repo: view.repo, run: $('run').value || undefined });
  await load(view);
  setInterval(() => {
    if (model?.run?.state === 'running') queueRender();
  }, 1000);
}

async function load(next) {
  view = next;
  source?.close();
  closeDetail();
  model = freshModel();
  const runs = await api('/api/runs');
  $('run').innerHTML = runs.map((r, i) => `<option value="${i === 0 && !view.run ? '' : esc(r.id)}" ${r.id === view.run ? 'selected' : ''}>${esc(r.feature ?? r.id)}${r.current ? ' (current)' : ''} — ${esc(r.state ?? '?')}${r.startedAt ? `, ${esc(r.startedAt.slice(0, 16).replace('T', ' '))}` : ''}</option>`).join('') || '<option value="">no run yet</option>';
  const snapshot = await api('/api/run');
  applySnapshot(snapshot);
  render();
  listen();
}

function applySnapshot(snapshot) {
  model.run = snapshot.run;
  for (const row of snapshot.tasks) model.rows.set(row.id, { ...row });
}

function listen() {
  source = new EventSource(`/api/events?repo=${view.repo}${view.run ? `&run=${encodeURIComponent(view.run)}` : ''}`);
  $('live').textContent = 'connecting…';
  source.onopen = () => ($('live').textContent = 'live');
  source.onerror = () => ($('live').textContent = 'reconnecting…');
  source.onmessage = (message) => {
    apply(JSON.parse(message.data));
    queueRender();
  };
  // The stream was replaced (the run was archived, a new one started): start over.
  source.addEventListener('reset', () => load({ repo: view.repo, run: undefined }));
}

function row(id) {
  let r = model.rows.get(id);
  if (!r) model.rows.set(id, (r = { id, title: id, state: 'pending', attempt: 0, inputTokens: 0, outputTokens: 0 }));
  return r;
}

function openSegment(task, step, attempt, at) {
  const list = model.segments.get(task) ?? [];
  const seg = { step, attempt, from: at, to: undefined, failed: false };
  list.push(seg);
  model.segments.set(task, list);
  model.open.set(task, seg);
}

function closeSegment(task, at, failed) {
  const seg = model.open.get(task);
  if (!seg) return;
  seg.to = at;
  seg.failed = failed;
  model.open.delete(task);
}

function apply(e) {
  const at = Date.parse(e.at);
  model.first ??= at;
  model.last = at;
  switch (e.type) {
    case 'run':
      // `next` and the state as status says it come from the server.
      api('/api/run').then((s) => { model.run = s.run; queueRender(); }).catch(() => undefined);
      break;
    case 'backlog':
      for (const t of e.tasks) {
        // The snapshot's state stands for a task it has (a human's edit shows there); later task events move it.
        const known = model.rows.has(t.id);
        const r = row(t.id);
        r.title = t.title;
        if (!known) r.state = t.status;
        model.deps.set(t.id, t.depends_on);
      }
      break;
    case 'task': {
      const r = row(e.task);
      r.state = e.to;
      r.attempt = e.record.attempt;
      if (e.record.startedAt) r.startedAt = e.record.startedAt; else delete r.startedAt;
      if (e.record.endedAt) r.endedAt = e.record.endedAt; else delete r.endedAt;
      if (e.note) r.note = e.note;
      closeSegment(e.task, at, ENDED_BADLY.has(e.to));
      if (STEP_OF[e.to]) openSegment(e.task, e.to === 'running' ? 'setup' : STEP_OF[e.to], e.attempt, at);
      break;
    }
    case 'session-start': {
      // The worktree's preparation ends where the worker's session starts.
      const seg = e.task ? model.open.get(e.task) : undefined;
      if (seg && seg.step === 'setup' && e.role === 'implementer') {
        closeSegment(e.task, at, false);
        openSegment(e.task, 'worker', seg.attempt, at);
      }
      break;
    }
    case 'session-end': {
      if (!model.fromEvents) {
        // The stream has the sessions: its figures replace the snapshot's (which counted the same calls).
        model.fromEvents = true;
        for (const r of model.rows.values()) { r.inputTokens = 0; r.outputTokens = 0; delete r.costUsd; }
      }
      model.tokensIn += e.inputTokens ?? 0;
      model.tokensOut += e.outputTokens ?? 0;
      if (e.costUsd !== undefined) model.cost = (model.cost ?? 0) + e.costUsd;
      if (e.task) {
        const r = row(e.task);
        r.inputTokens += e.inputTokens ?? 0;
        r.outputTokens += e.outputTokens ?? 0;
        if (e.costUsd !== undefined) r.costUsd = (r.costUsd ?? 0) + e.costUsd;
      }
      if (e.task && detailOf === e.task) showDetail(e.task);
      break;
    }
    case 'gate-result':
    case 'review':
    case 'merge':
      if (e.task && detailOf === e.task) showDetail(e.task);
      break;
    default:
      break;
  }
}

function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render() {
  renderRun();
  renderBoard();
  renderTimeline();
  renderGraph();
}

function renderRun() {
  const run = model.run;
  const rows = [...model.rows.values()];
  const tokensIn = model.fromEvents ? model.tokensIn : rows.reduce((s, r) => s + r.inputTokens, 0);
  const tokensOut = model.fromEvents ? model.tokensOut : rows.reduce((s, r) => s + r.outputTokens, 0);
  const cost = model.fromEvents ? model.cost : rows.reduce((s, r) => (r.costUsd === undefined ? s : (s ?? 0) + r.costUsd), undefined);
  if (!run) {
    $('run-panel').innerHTML = `<div class="run-line">${rows.length ? 'tasks of tasks/BACKLOG.yaml (no run record)' : 'no run in this repository yet: conductor run feature-request.md starts one'}</div>`;
    return;
  }
  const live = run.state === 'running';
  const elapsed = (live ? Date.now() : Date.parse(run.updatedAt)) - Date.parse(run.startedAt);
  const where = run.state === 'paused' ? `paused at the ${run.checkpoint ?? run.phase} checkpoint` : run.state;
  $('run-panel').innerHTML = `
    <div class="run-line"><b data-testid="feature">${esc(run.feature)}</b> — <span data-testid="run-state">${esc(where)}</span></div>
    <div class="run-facts">
      <span>phase <b data-testid="phase">${esc(run.phase)}</b></span>
      <span>elapsed <b data-testid="elapsed">${duration(elapsed)}</b></span>
      <span>tokens in/out <b data-testid="tokens">${kTokens(tokensIn)}/${kTokens(tokensOut)}</b></span>
      <span>cost <b data-testid="cost">${money(cost)}</b></span>
      <span>tasks <b>${summary(rows)}</b></span>
    </div>
    ${run.failure ? `<div class="why">why: ${esc(run.failure)}</div>` : ''}
    ${live ? '' : `<div class="next" data-testid="next">next: ${esc(run.next)}</div>`}`;
}

function summary(rows) {
  const counts = new Map();
  for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  return `${rows.length}${counts.size ? `: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}` : ''}`;
}

function renderBoard() {
  const byState = new Map(STATES.map((s) => [s, []]));
  for (const r of model.rows.values()) (byState.get(r.state) ?? byState.set(r.state, []).get(r.state)).push(r);
  $('board').innerHTML = [...byState]
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

function renderTimeline() {
  const rows = [...model.rows.values()];
  const start = model.first;
  if (start === undefined || model.segments.size === 0) {
    $('timeline').innerHTML = '<p>No task has started yet.</p>';
    return;
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
  $('timeline').innerHTML = legend + lines.join('');
}

function renderGraph() {
  const ids = [...model.rows.keys()];
  if (model.deps.size === 0) {
    $('graph').innerHTML = '<p>The dependencies show once implementation starts.</p>';
    return;
  }
  if (ids.length > 200) {
    $('graph').innerHTML = `<p>${ids.length} tasks: too many to draw; conductor graph prints the graph as Mermaid or DOT.</p>`;
    return;
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
  $('graph').innerHTML = `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${edges.join('')}${nodes.join('')}</svg>`;
}

function diffHtml(diff) {
  return diff.split('\n').map((line) => {
    const cls = line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : line.startsWith('@@') ? 'hunk' : '';
    return cls ? `<span class="${cls}">${esc(line)}</span>` : esc(line);
  }).join('\n');
}

async function showDetail(id) {
  detailOf = id;
  const d = await api(`/api/task?id=${encodeURIComponent(id)}`);
  if (detailOf !== id) return;
  const r = model.rows.get(id) ?? { title: id, state: '?', attempt: 0 };
  const retry = ['failed', 'blocked'].includes(r.state) && token ? `<button id="retry" data-testid="retry">retry ${esc(id)}</button>` : '';
  $('detail').hidden = false;
  $('detail').innerHTML = `
    <button class="close" id="close">close</button>
    <h2>${esc(id)}: ${esc(r.title)}</h2>
    <p>state <b data-testid="detail-state">${esc(r.state)}</b> · attempt ${esc(r.attempt)} · tokens ${kTokens(d.inputTokens)}/${kTokens(d.outputTokens)} · cost ${money(d.costUsd)} ${retry}</p>
    ${d.review ? `<h3>Review</h3><p data-testid="verdict"><b>${esc(d.review.verdict)}</b> ${esc(d.review.summary ?? '')}</p>` : ''}
    <h3>Gates</h3>${d.gates.length ? `<ul>${d.gates.map((g) => `<li>${g.attempt ? `attempt ${g.attempt}: ` : ''}<span class="${g.passed ? 'pass' : 'fail'}">${g.passed ? '✓' : '✗'} ${esc(g.name)}</span> (${duration(g.durationMs)})${g.failures ? `<pre>${esc(g.failures)}</pre>` : ''}</li>`).join('')}</ul>` : '<p>none run yet</p>'}
    <h3>Diff${d.diffOf ? ` <small>(${esc(d.diffOf)})</small>` : ''}</h3>${d.diff ? `<pre class="diff" data-testid="diff">${diffHtml(d.diff)}</pre>` : '<p>no change yet</p>'}
    <h3>Agent log <small id="log-what"></small></h3><pre id="log" data-testid="log">…</pre>
    <h3>Context file</h3>${d.context ? `<pre data-testid="context">${esc(d.context)}</pre>` : '<p>not written yet</p>'}
    ${d.notes ? `<h3>Notes</h3><pre>${esc(d.notes)}</pre>` : ''}`;
  $('close').onclick = closeDetail;
  if ($('retry')) $('retry').onclick = () => retryTask(id);
  await refreshLog(id);
}

async function refreshLog(id) {
  clearTimeout(logTimer);
  const log = await api(`/api/log?id=${encodeURIComponent(id)}`).catch(() => null);
  if (detailOf !== id || !$('log')) return;
  $('log').textContent = log ? log.text || '(empty so far)' : 'no agent session yet';
  $('log-what').textContent = log ? `(${log.role}, attempt ${log.attempt}${log.live ? ', live' : ''})` : '';
  if (log?.live) logTimer = setTimeout(() => refreshLog(id), 1500);
}

async function retryTask(id) {
  const res = await fetch(`/api/retry?repo=${view.repo}&id=${encodeURIComponent(id)}`, { method: 'POST', headers: { 'x-conductor-token': token } });
  const body = await res.json();
  alert(body.output ?? body.error);
}

function closeDetail() {
  detailOf = undefined;
  clearTimeout(logTimer);
  $('detail').hidden = true;
}

document.addEventListener('click', (event) => {
  const target = event.target.closest?.('[data-task]');
  if (target && !target.closest('#detail')) showDetail(target.dataset.task);
});

start().catch((error) => {
  $('run-panel').textContent = `cannot load: ${error.message}`;
});
