#!/usr/bin/env node
// The stand-in agent that recorded conductor's demo (examples/demo/sessions):
// a `command` provider that answers every role for the tiny-kv "Key expiry"
// feature with fixed, working documents and code, and misbehaves on purpose
// where the demo shows conductor's loops: T02's first attempt fails a test,
// T03's first review asks for changes, T04's first review asks for a rebase.
// It reports tokens as its own estimate (bytes / 4), labelled as such in the demo.
// Used only by scripts/record-demo.js; `conductor demo` replays the recording.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const role = process.env.CONDUCTOR_ROLE;
const task = process.env.CONDUCTOR_TASK_ID;
const attempt = Number(process.env.CONDUCTOR_ATTEMPT);
const prompt = readFileSync(process.env.CONDUCTOR_PROMPT_FILE, 'utf8');

function answer(text) {
  writeFileSync(process.env.CONDUCTOR_OUTPUT_FILE, text);
  const estimate = (s) => Math.ceil(Buffer.byteLength(s) / 4);
  process.stdout.write(`${JSON.stringify({ usage: { input_tokens: estimate(prompt), output_tokens: estimate(text) + 40 * written } })}\n`);
}

let written = 0;
function write(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  written++;
}

const CLOCK = `// Clocks for the store: the system clock, and a manual one for tests.
export const systemClock = { now: () => Date.now() };

export function manualClock(start = 0) {
  let time = start;
  return {
    now: () => time,
    advance(ms) {
      time += ms;
    },
  };
}
`;

const CLOCK_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock, systemClock } from '../src/clock.js';

test('a manual clock moves only when told', () => {
  const clock = manualClock(100);
  assert.equal(clock.now(), 100);
  clock.advance(50);
  assert.equal(clock.now(), 150);
});

test('the system clock reads Date.now()', () => {
  const before = Date.now();
  const now = systemClock.now();
  assert.ok(now >= before && now <= Date.now());
});
`;

/** store.js as each task leaves it; \`expiredCheck\` is where T02's first attempt goes wrong. */
function store({ expiredCheck = '>=', purge = false, purgeCounts = false, stats = false } = {}) {
  const lines = [
    '// A tiny in-memory key-value store, with optional expiry per key.',
    "import { systemClock } from './clock.js';",
    '',
    'export function createStore({ clock = systemClock } = {}) {',
    '  const data = new Map(); // key -> { value, expiresAt }',
    `  const isExpired = (entry) => entry.expiresAt !== undefined && clock.now() ${expiredCheck} entry.expiresAt;`,
    '  return {',
    '    set(key, value, { ttlMs } = {}) {',
    '      data.set(key, { value, expiresAt: ttlMs === undefined ? undefined : clock.now() + ttlMs });',
    '    },',
    '    get(key) {',
    '      const entry = data.get(key);',
    '      if (!entry) return undefined;',
    '      if (isExpired(entry)) {',
    '        data.delete(key);',
    '        return undefined;',
    '      }',
    '      return entry.value;',
    '    },',
    '    delete(key) {',
    '      return data.delete(key);',
    '    },',
    '    size() {',
    '      return data.size;',
    '    },',
  ];
  if (purge) {
    lines.push('    purgeExpired() {');
    if (purgeCounts) lines.push('      let removed = 0;');
    lines.push('      for (const [key, entry] of data) {');
    lines.push(purgeCounts ? '        if (isExpired(entry) && data.delete(key)) removed++;' : '        if (isExpired(entry)) data.delete(key);');
    lines.push('      }');
    if (purgeCounts) lines.push('      return removed;');
    lines.push('    },');
  }
  if (stats === 'purging') {
    lines.push('    stats() {', '      const expired = this.purgeExpired();', '      return { live: data.size, expired };', '    },');
  } else if (stats) {
    lines.push('    stats() {', '      let expired = 0;', '      for (const entry of data.values()) if (isExpired(entry)) expired++;', '      return { live: data.size - expired, expired };', '    },');
  }
  lines.push('  };', '}', '');
  return lines.join('\n');
}

const TTL_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../src/clock.js';
import { createStore } from '../src/store.js';

test('a key without a ttl never expires', () => {
  const clock = manualClock();
  const store = createStore({ clock });
  store.set('a', 1);
  clock.advance(1e9);
  assert.equal(store.get('a'), 1);
});

test('a key is there until its expiry and gone exactly at it', () => {
  const clock = manualClock();
  const store = createStore({ clock });
  store.set('a', 1, { ttlMs: 100 });
  clock.advance(99);
  assert.equal(store.get('a'), 1);
  clock.advance(1);
  assert.equal(store.get('a'), undefined);
});
`;

const PURGE_TEST = (counts) => `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../src/clock.js';
import { createStore } from '../src/store.js';

test('purgeExpired removes expired entries only', () => {
  const clock = manualClock();
  const store = createStore({ clock });
  store.set('old', 1, { ttlMs: 10 });
  store.set('new', 2, { ttlMs: 1000 });
  store.set('forever', 3);
  clock.advance(10);
${counts ? "  assert.equal(store.purgeExpired(), 1);\n  assert.equal(store.purgeExpired(), 0);" : '  store.purgeExpired();'}
  assert.equal(store.size(), 2);
  assert.equal(store.get('new'), 2);
});
`;

const STATS_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manualClock } from '../src/clock.js';
import { createStore } from '../src/store.js';

test('stats counts live and expired entries without removing any', () => {
  const clock = manualClock();
  const store = createStore({ clock });
  store.set('a', 1, { ttlMs: 10 });
  store.set('b', 2);
  clock.advance(10);
  assert.deepEqual(store.stats(), { live: 1, expired: 1 });
  assert.equal(store.size(), 2);
  assert.deepEqual(store.stats(), { live: 1, expired: 1 });
});
`;

const README = `# tiny-kv

A tiny in-memory key-value store.

\`\`\`js
import { createStore } from './src/store.js';
const store = createStore();
store.set('greeting', 'hello');
store.get('greeting'); // 'hello'
\`\`\`

## Expiry

Pass \`ttlMs\` to make a key expire: from that many milliseconds on, \`get\`
returns \`undefined\`.

\`\`\`js
store.set('session', token, { ttlMs: 60_000 });
store.purgeExpired(); // removes expired entries, returns how many
store.stats();        // { live, expired }, changes nothing
\`\`\`

Tests pass a manual clock instead of sleeping:

\`\`\`js
import { manualClock } from './src/clock.js';
const clock = manualClock();
const store = createStore({ clock });
clock.advance(60_000);
\`\`\`

Run the tests with \`npm test\`.
`;

const IMPLEMENT = {
  T01: () => {
    write('src/clock.js', CLOCK);
    write('test/clock.test.js', CLOCK_TEST);
    return 'Added src/clock.js (systemClock, manualClock) with tests.';
  },
  T02: () => {
    write('src/store.js', store({ expiredCheck: attempt === 1 ? '>' : '>=' }));
    write('test/ttl.test.js', TTL_TEST);
    return attempt === 1 ? 'Added ttlMs to set; get drops expired keys.' : 'Fixed the boundary: a key expires at exactly expiresAt (>=), as the failing test showed.';
  },
  T03: () => {
    write('src/store.js', store({ purge: true, purgeCounts: attempt > 1 }));
    write('test/purge.test.js', PURGE_TEST(attempt > 1));
    return attempt === 1 ? 'Added purgeExpired().' : 'purgeExpired() now returns how many entries it removed, with a test.';
  },
  T04: () => {
    write('src/store.js', store({ purge: true, purgeCounts: true, stats: attempt === 1 ? 'purging' : true }));
    if (attempt > 1) write('test/stats.test.js', STATS_TEST);
    return attempt === 1 ? 'Added stats() on top of purgeExpired().' : 'Added stats(): counts without touching the entries, with a test.';
  },
  T05: () => {
    write('README.md', README);
    return 'Documented expiry, purgeExpired, stats and the manual clock in the README.';
  },
};

const VERDICTS = {
  T03: { 1: { verdict: 'changes', summary: 'purgeExpired works but returns nothing; the acceptance asks for the number of removed entries.', required_changes: ['return the number of entries purgeExpired removed', 'assert that number in test/purge.test.js'], negative_evidence: [] } },
  T04: { 1: { verdict: 'rebase', summary: 'stats() purges as a side effect, so asking for stats loses data; the task never said stats must be read-only.', required_changes: ['stats() must not remove or change entries'], negative_evidence: ["Don't build stats() on purgeExpired(): attempt 1 removed entries while counting them"] } },
};

const BACKLOG = `version: 1
feature: key-expiry
tasks:
  - id: T01
    title: Injectable clock
    type: code
    description: Add src/clock.js with systemClock and manualClock(start) so tests control time.
    acceptance:
      - manualClock().advance(ms) moves now() by exactly ms
      - systemClock.now() reads Date.now()
    scope: { files_hint: [src/clock.js, test/clock.test.js] }
    context: { constraints: [plain functions, no classes, no dependencies] }
  - id: T02
    title: TTL on set and get
    description: set(key, value, { ttlMs }) records an expiry; get never returns an expired value.
    depends_on: [T01]
    acceptance:
      - a key is returned until its expiry and is gone exactly at it
      - a key set without ttlMs never expires
    scope: { files_hint: [src/store.js, test/ttl.test.js] }
    context:
      patterns: ["createStore({ clock }) takes the clock, default systemClock"]
      edge_cases: [ttlMs of 0 expires at once]
  - id: T03
    title: purgeExpired
    description: Add store.purgeExpired() removing every expired entry.
    depends_on: [T02]
    acceptance:
      - removes expired entries only
      - returns how many entries it removed
    scope: { files_hint: [src/store.js, test/purge.test.js] }
  - id: T04
    title: stats
    description: Add store.stats() returning { live, expired } counts.
    depends_on: [T02]
    acceptance:
      - counts live and expired entries
    scope: { files_hint: [src/store.js, test/stats.test.js] }
  - id: T05
    title: Document expiry
    type: docs
    description: Document ttlMs, purgeExpired, stats and the manual clock in README.md.
    depends_on: [T03, T04]
    acceptance:
      - README shows set with ttlMs, purgeExpired, stats and manualClock
    scope: { files_hint: [README.md] }
`;

const REBASED_T04 = `# why: the first attempt showed the task was ambiguous about side effects
id: T04
title: stats (read-only)
type: code
description: Add store.stats() returning { live, expired } by counting entries; it must not remove or change any entry.
depends_on: [T02]
acceptance:
  - counts live and expired entries
  - calling stats() twice gives the same answer and size() is unchanged
scope: { files_hint: [src/store.js, test/stats.test.js] }
context:
  constraints: [stats() is read-only]
  negative_evidence: ["Don't build stats() on purgeExpired(): attempt 1 removed entries while counting them"]
`;

switch (role) {
  case 'planner-spec':
    answer(`# SPEC: Key expiry\n\n## Behaviour\n- \`set(key, value, { ttlMs })\` records \`expiresAt = now + ttlMs\`; without ttlMs a key never expires.\n- \`get\` returns \`undefined\` for a key whose \`expiresAt <= now\`, and drops it.\n- \`purgeExpired()\` removes every expired entry and returns the count.\n- \`stats()\` returns \`{ live, expired }\`.\n\n## Acceptance\n- A key is gone exactly at its expiry time (boundary included).\n- Tests use an injectable clock; no test sleeps.\n`);
    break;
  case 'planner-arch':
    answer(`# ARCH: Key expiry\n\n- New module \`src/clock.js\`: \`systemClock\` and \`manualClock(start)\` with \`advance(ms)\`.\n- \`createStore({ clock = systemClock })\`: entries become \`{ value, expiresAt }\`; one \`isExpired(entry)\` helper used by get, purge and stats.\n- No timers: expiry is checked lazily on read and on purge, so the store never keeps the process alive.\n- Tests: one file per behaviour under \`test/\`, all on the manual clock.\n`);
    break;
  case 'planner-qa':
    answer(`# QA: Key expiry\n\n## Risks\n- Off-by-one at the expiry boundary (\`>\` vs \`>=\`): test the exact millisecond.\n- Reading stats must not change the store.\n- ttlMs of 0 must expire at once.\n\n## Test plan\n- clock: advance moves time exactly.\n- ttl: before, at and after expiry; no ttl never expires.\n- purge: removes expired only, returns the count, is idempotent.\n- stats: counts both kinds and leaves the store unchanged.\n`);
    break;
  case 'plan-merge':
    answer(`# PLAN: Key expiry\n\n## Problem Statement\nEntries in tiny-kv live forever; callers need a time-to-live.\n\n## Requirements\n- ttlMs on set; get never returns expired values\n- purgeExpired() returns the number removed\n- stats() reports live and expired counts without side effects\n- injectable clock; README documents expiry\n\n## Architecture\nA clock module injected into createStore; entries carry expiresAt; one isExpired helper; lazy expiry, no timers.\n\n## Test Plan\nManual clock everywhere; boundary tests at the exact expiry millisecond; stats leaves size() unchanged.\n\n## Risks & Mitigations\n- Boundary off-by-one → exact-millisecond test.\n- Side effects in stats → assert size() before and after.\n\n## Implementation Steps\n1. Clock module\n2. TTL on set/get\n3. purgeExpired\n4. stats\n5. README\n`);
    break;
  case 'backlog':
    answer(`Here is the backlog:\n\n\`\`\`yaml\n${BACKLOG}\`\`\`\n`);
    break;
  case 'implementer':
    answer(`${IMPLEMENT[task]()}\n`);
    break;
  case 'reviewer': {
    const verdict = VERDICTS[task]?.[attempt] ?? { verdict: 'approve', summary: `${task} meets its acceptance criteria and the gates pass.`, required_changes: [], negative_evidence: [] };
    answer(`\`\`\`json\n${JSON.stringify(verdict, null, 2)}\n\`\`\`\n`);
    break;
  }
  case 'rebase':
    answer(`\`\`\`yaml\n${REBASED_T04}\`\`\`\n`);
    break;
  default:
    process.stderr.write(`the demo author has no answer for role ${role}\n`);
    process.exitCode = 1;
}
