// Random kills (RELIABILITY.md rows 1, 3, 7): `conductor implement` at
// concurrency 3 SIGKILLed at seeded points across worktree creation, agent
// runs, gates, review and merge — sometimes again while resuming — then
// resumed to the end, with every crash invariant checked per seed.
// CONDUCTOR_KILL_SEEDS=500 runs more seeds (default 50); CONDUCTOR_KILL_SEED=17
// (or 5,17) runs those seeds alone; CONDUCTOR_KILL_KEEP=1 keeps a failing seed's repository.
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkInvariants, eventCount, makeProject, runConductor, runSeed, snapshot, type SeedResult } from './helpers/random-kill.js';

const ONE = process.env.CONDUCTOR_KILL_SEED;
const SEEDS = ONE ? ONE.split(',').map(Number) : Array.from({ length: Number(process.env.CONDUCTOR_KILL_SEEDS ?? 50) }, (_, i) => i + 1);
/** Seeds run side by side: each is its own repository, so they share nothing but the CPU. */
const PARALLEL = Number(process.env.CONDUCTOR_KILL_PARALLEL ?? 3);

describe('conductor killed with SIGKILL at random points', () => {
  it(`resumes to the end with nothing lost, over ${SEEDS.length} seeds`, async () => {
    // An uninterrupted run first: it must pass the same checks, and it tells how many events a run has.
    const project = makeProject();
    const before = snapshot(project.repo);
    const started = Date.now();
    const clean = await runConductor(project);
    const fullMs = Date.now() - started;
    const fullEvents = eventCount(project);
    expect(clean.stdout.trim()).toBe('5 tasks: 5 done\nall merged into conductor/demo; merge it into your branch with: git merge conductor/demo');
    expect(await checkInvariants(project, before, clean)).toEqual([]);
    rmSync(project.root, { recursive: true, force: true });
    expect(fullEvents).toBe(1 + 5 * 3); // the baseline gate, then per task: worker, gate, reviewer

    const gapMs = Math.ceil(fullMs / fullEvents);
    const results: SeedResult[] = [];
    const queue = [...SEEDS];
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) results.push(await runSeed(seed, fullEvents, gapMs));
      }),
    );
    results.sort((a, b) => a.seed - b.seed);
    const failing = results.filter((r) => r.violations.length > 0);
    const violations = failing.flatMap((r) => r.violations.map((v) => `seed ${r.seed}: ${v}`));
    const kills = results.reduce((n, r) => n + r.kills, 0);
    // Where the kills landed: how often each in-flight state was under way at a kill.
    const spread = new Map<string, number>();
    for (const states of results.flatMap((r) => r.landed)) {
      const kinds = new Set(states.map((s) => s.replace(/^T\d+ /, '')));
      for (const kind of kinds.size ? kinds : ['no task in flight']) spread.set(kind, (spread.get(kind) ?? 0) + 1);
    }
    process.stdout.write(`random-kill: ${results.length} seeds, ${kills} kills, ${violations.length} violations (${failing.length} seeds failing); a full run is ${fullEvents} events in ${fullMs} ms\n`);
    process.stdout.write(`random-kill: kills landed with a task ${[...spread].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
    for (const r of process.env.CONDUCTOR_KILL_VERBOSE ? results : failing) process.stdout.write(`seed ${r.seed}:\n  ${[...r.trace, ...r.violations.map((v) => `VIOLATION ${v}`)].join('\n  ')}\n`);
    expect(violations).toEqual([]);
    // The suite only proves something if most seeds were really killed mid-run.
    expect(kills).toBeGreaterThanOrEqual(Math.ceil(SEEDS.length * 0.8));
  }, 1_800_000);
});
