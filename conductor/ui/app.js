// The dashboard's page: GET /api/run once for the board, then the run's event
// stream (GET /api/events, Server-Sent Events) keeps the board, the timeline and
// the run's figures live. No framework, no network beyond this server.
import { duration, esc, kTokens, money, summary } from './format.js';
import { boardHtml, diffHtml, graphHtml, timelineHtml } from './views.js';

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
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
  $('board').innerHTML = boardHtml(model.rows.values());
  $('timeline').innerHTML = timelineHtml(model);
  $('graph').innerHTML = graphHtml(model);
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
    <p>state <b data-testid="detail-state">${esc(r.state)}</b> · attempt ${esc(r.attempt)} · tokens ${kTokens(d.inputTokens)}/${kTokens(d.outputTokens)} · cost ${money(d.costUsd)}${d.status?.worker ? ` · on worker <b data-testid="detail-worker">${esc(d.status.worker.id)}@${esc(d.status.worker.host)}</b>` : ''} ${retry}</p>
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
