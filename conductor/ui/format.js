// Formatting for the dashboard's page: escaping, and figures written as `conductor status` writes them.
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export const kTokens = (n) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n));

export const money = (usd) => (usd === undefined ? '-' : `$${usd.toFixed(2)}`);

/** `3: 1 done, 2 pending`, states in the order they first appear. */
export function summary(rows) {
  const counts = new Map();
  for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  return `${rows.length}${counts.size ? `: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}` : ''}`;
}
