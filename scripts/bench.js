#!/usr/bin/env node
// npm run bench: speed targets measured as ratios within one run, so the
// figures hold on any machine. Prints one line per target; never fails a build.
// `npm run bench -- tasks` runs only the sections named: startup, map, schedule, tasks, prepare.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../conductor/bin/conductor.js', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 11);
const only = new Set(process.argv.slice(2));
const want = (section) => only.size === 0 || only.has(section);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median wall time of a fresh `node conductor …` process, in ms. */
function time(args, cwd, expectExit = 0) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.status !== expectExit) throw new Error(`conductor ${args.join(' ')} exited ${result.status}: ${result.stdout}${result.stderr}`);
  }
  return median(samples);
}

/** A realistic generated backlog: chained and fan-in dependencies, full task bodies. */
export function generateBacklog(n) {
  let text = '# yaml-language-server: $schema=../conductor/schemas/backlog.schema.json\nversion: 1\nfeature: bench\ntasks:\n';
  const id = (i) => `T${String(i).padStart(4, '0')}`;
  for (let i = 1; i <= n; i++) {
    const deps = [];
    if (i > 1) deps.push(id(i - 1));
    if (i > 10) deps.push(id(i - 10));
    text += `  - id: ${id(i)}
    title: Implement part ${i} of the feature
    type: ${i % 7 === 0 ? 'test' : 'code'}
    description: |
      Implement part ${i} of the feature behind the existing interface.
      Keep the public API stable and cover the new branch with a unit test.
    depends_on: [${deps.join(', ')}]
    acceptance:
      - part ${i} handles the empty input and returns the documented default
      - the unit test for part ${i} passes
    scope:
      files_hint:
        - src/parts/part${i}.ts:1-80
        - test/parts/part${i}.test.ts
      forbidden: ["src/db/**"]
    context:
      patterns: ["functional style, see src/util/retry.ts:10-42"]
      edge_cases: ["input larger than the buffer"]
    status: pending
    attempts: 0
`;
  }
  return text;
}

process.stdout.write(`conductor bench — median of ${runs} runs, node ${process.version}\n`);
if (want('startup')) {
  const dir = mkdtempSync(join(tmpdir(), 'conductor-bench-'));
  try {
    execFileSync('git', ['init', '-q'], { cwd: dir });
    mkdirSync(join(dir, 'tasks'));
    const backlog = generateBacklog(5000);
    writeFileSync(join(dir, 'tasks', 'BACKLOG.yaml'), backlog);

    time(['--version'], dir); // warm the file cache
    const version = time(['--version'], dir);
    const validate = time(['validate'], dir);
    const nodeBare = median(Array.from({ length: runs }, () => {
      const start = process.hrtime.bigint();
      spawnSync(process.execPath, ['-e', '0']);
      return Number(process.hrtime.bigint() - start) / 1e6;
    }));

    const ratio = validate / version;
    const line = (name, value, target, ok) => process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${name.padEnd(48)} ${value.padStart(12)}   target ${target}\n`);
    line('node -e 0 (process start, for reference)', `${nodeBare.toFixed(1)} ms`, '-', true);
    line('conductor --version (cold start)', `${version.toFixed(1)} ms`, '< 150 ms', version < 150);
    line(`conductor validate, 5,000 tasks (${(backlog.length / 1e6).toFixed(2)} MB)`, `${validate.toFixed(1)} ms`, '-', true);
    line('validate 5,000 tasks / --version', `${ratio.toFixed(2)}x`, '< 3x', ratio < 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Repo map: 50,000 tracked files (index entries sharing one blob: the map reads only the index).
if (want('map')) {
  const repo = mkdtempSync(join(tmpdir(), 'conductor-bench-map-'));
  try {
    execFileSync('git', ['init', '-q'], { cwd: repo });
    const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo, input: 'export {};\n', encoding: 'utf8' }).trim();
    const entries = [];
    for (let d = 0; d < 50; d++) for (let f = 0; f < 1000; f++) entries.push(`100644 ${blob}\tpackages/pkg${d}/src/module${f % 40}/file${f}.${f % 3 === 0 ? 'ts' : 'tsx'}`);
    execFileSync('git', ['update-index', '--index-info'], { cwd: repo, input: `${entries.join('\n')}\n` });
    const lsFiles = median(Array.from({ length: 5 }, () => {
      const start = process.hrtime.bigint();
      execFileSync('git', ['ls-files', '-s', '-z'], { cwd: repo, maxBuffer: 64 * 1024 * 1024 });
      return Number(process.hrtime.bigint() - start) / 1e6;
    }));
    const mapMs = median(Array.from({ length: 5 }, () => {
      const start = process.hrtime.bigint();
      const result = spawnSync(process.execPath, [BIN, 'repo-map', '--force'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      if (result.status !== 0) throw new Error(`repo-map failed: ${result.stderr}`);
      return Number(process.hrtime.bigint() - start) / 1e6;
    }));
    const bytes = readFileSync(join(repo, 'docs', 'repo-map.md')).length;
    const line = (name, value, target, ok) => process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${name.padEnd(48)} ${value.padStart(12)}   target ${target}\n`);
    line('repo-map, 50,000 tracked files', `${mapMs.toFixed(0)} ms`, '< 2000 ms', mapMs < 2000);
    line('repo-map / git ls-files on the same repo', `${(mapMs / lsFiles).toFixed(1)}x`, '-', true);
    line('repo-map size', `${bytes} B`, '<= 51200 B', bytes <= 51_200);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

// Scheduling: a dynamic ready queue against the lower bound and against wave barriers,
// on synthetic 100-task DAGs with skewed durations, 8 slots (simulated time units).
if (want('schedule')) {
  const { makespanLowerBound, randomDag, simulateDynamic, simulateWaves } = await import('../dist/scheduler/simulate.js');
  let dynamic = 0;
  let waves = 0;
  let bound = 0;
  const seeds = 50;
  for (let seed = 1; seed <= seeds; seed++) {
    const tasks = randomDag(100, seed);
    dynamic += simulateDynamic(tasks, 8).makespan;
    waves += simulateWaves(tasks, 8).makespan;
    bound += makespanLowerBound(tasks, 8);
  }
  const line = (name, value, target, ok) => process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${name.padEnd(48)} ${value.padStart(12)}   target ${target}\n`);
  line(`makespan / lower bound (${seeds} DAGs x 100 tasks, 8 slots)`, `${(dynamic / bound).toFixed(3)}x`, '<= 1.10x', dynamic / bound <= 1.1);
  line('wave-barrier makespan / dynamic makespan', `${(waves / dynamic).toFixed(3)}x`, '>= 1.25x', waves / dynamic >= 1.25);
}

// Per-task overhead: conductor's own operations for a task (worktree, context, commit, status writes,
// merge, removal) against the raw git commands they wrap, for the same 30 tasks, alternating task by
// task. For reference, a whole `conductor implement` over the 30 tasks, one at a time, with an instant
// agent (a few lines of sh: the implementer writes one file, the reviewer approves) and no gates:
// nothing subtracted (its start, the agent processes, notes, review and tamper checks), run time / 30.
if (want('tasks')) {
  const TASKS = 30;
  const samples = Number(process.env.BENCH_TASK_RUNS ?? 5);
  const agent = `case "$CONDUCTOR_ROLE" in
  implementer) echo "export const n = 1;" > "src/$CONDUCTOR_TASK_ID.ts"; echo done > "$CONDUCTOR_OUTPUT_FILE" ;;
  reviewer) printf '{"verdict": "approve", "summary": "ok", "required_changes": [], "negative_evidence": []}' > "$CONDUCTOR_OUTPUT_FILE" ;;
  *) echo done > "$CONDUCTOR_OUTPUT_FILE" ;;
esac
`;
  const id = (i) => `T${String(i).padStart(2, '0')}`;
  const fresh = () => {
    const repo = mkdtempSync(join(tmpdir(), 'conductor-bench-tasks-'));
    const sh = (...args) => execFileSync('git', args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    sh('init', '-q');
    mkdirSync(join(repo, 'src'));
    mkdirSync(join(repo, 'tasks'));
    writeFileSync(join(repo, 'src', 'app.ts'), 'export {};\n');
    writeFileSync(join(repo, '.gitignore'), 'worktrees/\n.conductor/\n');
    writeFileSync(join(repo, 'agent.sh'), agent);
    writeFileSync(join(repo, 'conductor.config.yaml'), `provider: instant\nconcurrency: 1\ngates: []\nproviders:\n  instant:\n    command: [sh, ${JSON.stringify(join(repo, 'agent.sh'))}]\n`);
    let backlog = 'version: 1\nfeature: bench\ntasks:\n';
    for (let i = 1; i <= TASKS; i++) backlog += `  - { id: ${id(i)}, title: Part ${i}, description: Write src/${id(i)}.ts., acceptance: [it exists], scope: { files_hint: [src/${id(i)}.ts] } }\n`;
    writeFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), backlog);
    sh('add', '-A');
    sh('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'base');
    return { repo, sh };
  };
  const timed = (work) => {
    const { repo, sh } = fresh();
    try {
      const start = process.hrtime.bigint();
      work(repo, sh);
      return Number(process.hrtime.bigint() - start) / 1e6 / TASKS;
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  };
  const viaConductor = () => timed((repo) => {
    const result = spawnSync(process.execPath, [BIN, 'implement'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    if (result.status !== 0) throw new Error(`conductor implement exited ${result.status}: ${result.stdout}${result.stderr}`);
  });
  // The raw git for one task, as a user would type it (the integration worktree made once per run).
  const c = ['-c', 'user.name=b', '-c', 'user.email=b@b', '-c', 'core.hooksPath=/dev/null'];
  const rawSetup = (repo, sh) => sh('worktree', 'add', '--no-track', '-b', 'conductor/bench', join(repo, 'worktrees', '_integration'), 'HEAD');
  const rawTask = (repo, sh, i) => {
    const integration = join(repo, 'worktrees', '_integration');
    const wt = join(repo, 'worktrees', id(i));
    sh('worktree', 'add', '--no-track', '-b', `task/${id(i)}`, wt, 'conductor/bench');
    writeFileSync(join(wt, 'src', `${id(i)}.ts`), 'export const n = 1;\n');
    execFileSync('git', ['add', '-A'], { cwd: wt });
    execFileSync('git', [...c, 'commit', '-qm', `${id(i)}: Part ${i}`], { cwd: wt });
    execFileSync('git', [...c, 'merge', '--no-ff', '--no-edit', '-q', `task/${id(i)}`], { cwd: integration });
    sh('worktree', 'remove', wt);
    sh('branch', '-D', `task/${id(i)}`); // -D as conductor does, after its own merged check: -d would compare with the user's HEAD
  };
  // The operations the target names (worktree, context, commit, status writes) plus the merge and the clean-up,
  // done in-process through conductor's own modules, one task after another: what conductor adds around the git it runs.
  const { WorktreeManager } = await import('../dist/git/worktrees.js');
  const { MergeQueue } = await import('../dist/git/merge-queue.js');
  const { commitWork, CONTEXT_COPY } = await import('../dist/git/commit-work.js');
  const { fitTaskContext } = await import('../dist/context/fit-context.js');
  const { renderTaskContext } = await import('../dist/context/task-context.js');
  const { normalizeTask } = await import('../dist/backlog/types.js');
  const { newTaskStatus } = await import('../dist/state/status-file.js');
  const { recordTransition, taskFiles } = await import('../dist/state/task-record.js');
  const { writeFileAtomically } = await import('../dist/state/atomic-write.js');
  const { copyFile } = await import('node:fs/promises');
  // conductor's own operations for one task, in-process, through its modules, as the task loop runs them.
  const opsSetup = async (repo) => {
    const worktrees = new WorktreeManager(repo);
    const integration = await worktrees.ensureIntegration('bench', 'HEAD');
    return { worktrees, merges: new MergeQueue(integration.path), files: taskFiles(repo) };
  };
  const opsTask = async (repo, { worktrees, merges, files }, i) => {
    const task = normalizeTask({ id: id(i), title: `Part ${i}`, description: `Write src/${id(i)}.ts.`, acceptance: ['it exists'], scope: { files_hint: [`src/${id(i)}.ts`] } });
    let status = (await recordTransition(files, newTaskStatus(task.id), 'ready')).status;
    const wt = await worktrees.ensureTask(task.id, 'conductor/bench');
    status = (await recordTransition(files, status, 'running', { attempt: 1, branch: wt.branch })).status;
    const context = fitTaskContext(task, 3072, renderTaskContext);
    const contextFile = join(repo, 'tasks', `${task.id}.context.md`);
    await writeFileAtomically(contextFile, context.text, { derived: true }); // as task-attempt.ts writes it
    await copyFile(contextFile, join(wt.path, CONTEXT_COPY));
    writeFileSync(join(wt.path, 'src', `${task.id}.ts`), 'export const n = 1;\n'); // the agent's part
    await commitWork(wt.path, `${task.id}: Part ${i} (attempt 1)`);
    status = (await recordTransition(files, status, 'verifying')).status;
    status = (await recordTransition(files, status, 'review')).status;
    status = (await recordTransition(files, status, 'merging')).status;
    const merged = await merges.merge(wt.branch, `Merge ${task.id}: Part ${i}`);
    if (!merged.ok) throw new Error(`merge of ${task.id} failed`);
    await recordTransition(files, status, 'done');
    await worktrees.removeTask(task.id, 'conductor/bench');
  };
  // One run: the same 30 tasks both ways, in two fresh repositories, alternating task by task (and which
  // side goes first), so a burst of load on this machine falls on both sides alike.
  const paired = async () => {
    const raw = fresh();
    const ops = fresh();
    try {
      const clock = () => process.hrtime.bigint();
      let rawNs = 0n;
      let opsNs = 0n;
      let start = clock();
      rawSetup(raw.repo, raw.sh);
      rawNs += clock() - start;
      start = clock();
      const state = await opsSetup(ops.repo);
      opsNs += clock() - start;
      for (let i = 1; i <= TASKS; i++) {
        const sides = [
          async () => { const t = clock(); rawTask(raw.repo, raw.sh, i); rawNs += clock() - t; },
          async () => { const t = clock(); await opsTask(ops.repo, state, i); opsNs += clock() - t; },
        ];
        if (i % 2 === 0) sides.reverse();
        for (const side of sides) await side();
      }
      return [Number(rawNs) / 1e6 / TASKS, Number(opsNs) / 1e6 / TASKS];
    } finally {
      rmSync(raw.repo, { recursive: true, force: true });
      rmSync(ops.repo, { recursive: true, force: true });
    }
  };
  const pairs = [];
  const whole = [];
  for (let i = 0; i < samples; i++) {
    whole.push(viaConductor());
    pairs.push(await paired());
  }
  const gitMs = median(pairs.map(([g]) => g));
  const wrappedMs = median(pairs.map(([, w]) => w));
  const ratio = median(pairs.map(([g, w]) => w / g));
  const conductorMs = median(whole);
  const line = (name, value, target, ok) => process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${name.padEnd(48)} ${value.padStart(12)}   target ${target}\n`);
  process.stdout.write(`      per-task overhead, ${samples} runs of ${TASKS} tasks one at a time, medians: the raw git (worktree add, add+commit, merge --no-ff,\n      worktree remove, branch -D) and conductor's own operations for the same (its worktree manager, the context file and its copy,\n      commit, 6 status transitions with BACKLOG.yaml kept in step, the merge queue, removal with the salvage check), alternating\n      task by task; and, for reference, a whole \`conductor implement\` (process start, two agent sessions per task, review, tamper\n      checks: nothing subtracted)\n`);
  line(`implement, per task (${TASKS} tasks, instant agent)`, `${conductorMs.toFixed(1)} ms`, '-', true);
  line('raw git per task (worktree, commit, merge, rm)', `${gitMs.toFixed(1)} ms`, '-', true);
  line('conductor ops per task (same + context, status)', `${wrappedMs.toFixed(1)} ms`, '-', true);
  line('conductor ops per task / raw git per task', `${ratio.toFixed(2)}x`, '<= 2x', ratio <= 2);
  line('whole implement per task / raw git per task', `${(conductorMs / gitMs).toFixed(2)}x`, '-', true);
}

if (want('prepare')) {
  // Worktree ready time (#16): `git worktree add` plus conductor's preparation, on a generated npm workspace with
  // 300 installed packages (local tarballs: no registry), lockfile unchanged — against `git worktree add` alone and
  // against `npm ci --offline` in the worktree. Also the ready time when the task changed the lockfile.
  const PACKAGES = 300;
  const samples = Number(process.env.BENCH_PREPARE_RUNS ?? 5);
  const root = mkdtempSync(join(tmpdir(), 'conductor-bench-prepare-'));
  const repo = join(root, 'mono');
  const quiet = { stdio: 'pipe' };
  const sh = (cwd, cmd, ...args) => execFileSync(cmd, args, { cwd, ...quiet });
  const git = (cwd, ...args) => sh(cwd, 'git', '-c', 'user.name=b', '-c', 'user.email=b@b', '-c', 'commit.gpgsign=false', ...args);
  try {
    const write = (path, text) => { mkdirSync(join(path, '..'), { recursive: true }); writeFileSync(path, text); };
    const deps = {};
    mkdirSync(join(root, 'vendor'), { recursive: true });
    for (let i = 1; i <= PACKAGES; i++) {
      const name = `dep-${i}`;
      const dir = join(root, 'src', name, 'package');
      write(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
      write(join(dir, 'index.js'), `exports.value = ${i};\nexports.lib = require('./lib/util.js');\n`);
      write(join(dir, 'lib', 'util.js'), `module.exports = (x) => x + ${i};\n`.repeat(20));
      write(join(dir, 'README.md'), `# ${name}\n\n${'Some documentation. '.repeat(50)}\n`);
      sh(join(root, 'src', name), 'tar', 'czf', join(root, 'vendor', `${name}-1.0.0.tgz`), 'package');
      deps[name] = `file:../vendor/${name}-1.0.0.tgz`;
    }
    write(join(repo, 'package.json'), JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'], dependencies: deps }, null, 2));
    write(join(repo, 'packages', 'a', 'package.json'), JSON.stringify({ name: '@mono/a', version: '1.0.0' }));
    write(join(repo, 'packages', 'a', 'index.js'), 'exports.a = 1;\n');
    write(join(repo, 'packages', 'b', 'package.json'), JSON.stringify({ name: '@mono/b', version: '1.0.0', dependencies: { '@mono/a': '1.0.0' } }));
    write(join(repo, 'packages', 'b', 'index.js'), "exports.b = require('@mono/a').a + 1;\n");
    write(join(repo, '.gitignore'), 'node_modules/\n');
    git(repo, 'init', '-q', '-b', 'main');
    sh(repo, 'npm', 'install', '--offline', '--no-audit', '--no-fund');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'initial');

    const { WorktreeManager } = await import('../dist/git/worktrees.js');
    const { prepareWorktree } = await import('../dist/prepare/prepare-worktree.js');
    const logDir = join(root, 'logs');
    const prepare = (worktree, check) => prepareWorktree({ worktree, userRoot: repo, check, gates: { logDir, defaultTimeoutMinutes: 10 } });
    const clock = () => Number(process.hrtime.bigint()) / 1e6;
    const plain = [];
    const ready = [];
    const npmCi = [];
    const changed = [];
    const manager = new WorktreeManager(repo);
    for (let i = 0; i < samples; i++) {
      // git alone
      const bare = join(root, `bare-${i}`);
      let t = clock();
      git(repo, 'worktree', 'add', '-q', '--detach', bare, 'HEAD');
      plain.push(clock() - t);
      // npm ci --offline in that worktree (what an install costs)
      t = clock();
      sh(bare, 'npm', 'ci', '--offline', '--no-audit', '--no-fund');
      npmCi.push(clock() - t);
      git(repo, 'worktree', 'remove', '--force', bare);
      // conductor: create + prepare + resolution check, lockfile unchanged
      t = clock();
      const wt = await manager.ensureTask(`B${i}`, 'HEAD');
      const outcome = await prepare(wt.path, true);
      ready.push(clock() - t);
      if (!outcome.ok || outcome.method !== 'clone') throw new Error(`prepare: ${JSON.stringify(outcome)}`);
      await manager.removeTask(`B${i}`, 'main');
      // a task that changed the lockfile (a new workspace package): the real install in the worktree
      const moved = await manager.ensureTask(`C${i}`, 'HEAD');
      write(join(moved.path, 'packages', 'c', 'package.json'), JSON.stringify({ name: '@mono/c', version: '1.0.0' }));
      t = clock();
      const installed = await prepare(moved.path, true);
      changed.push(clock() - t);
      if (!installed.ok || installed.method !== 'install') throw new Error(`prepare after a change: ${JSON.stringify(installed)}`);
      await manager.removeTask(`C${i}`, 'main');
    }
    const gitMs = median(plain);
    const readyMs = median(ready);
    const ciMs = median(npmCi);
    const line = (name, value, target, ok) => process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${name.padEnd(48)} ${value.padStart(12)}   target ${target}\n`);
    process.stdout.write(`      worktree ready time, ${samples} runs, medians: an npm workspace with ${PACKAGES} installed packages and 2 workspaces; ready = create\n      (conductor's worktree manager) + prepare (node_modules cloned from the checkout) + the resolution check\n`);
    line('git worktree add alone', `${gitMs.toFixed(0)} ms`, '-', true);
    line('ready, lockfile unchanged', `${readyMs.toFixed(0)} ms`, '-', true);
    line('npm ci --offline in the worktree', `${ciMs.toFixed(0)} ms`, '-', true);
    line('ready / git worktree add', `${(readyMs / gitMs).toFixed(2)}x`, '<= 3x', readyMs / gitMs <= 3);
    line('npm ci --offline / ready', `${(ciMs / readyMs).toFixed(1)}x`, '>= 10x', ciMs / readyMs >= 10);
    line('prepare with a changed lockfile (npm install)', `${median(changed).toFixed(0)} ms`, '-', true);
  } finally {
    rmSync(root, { recursive: true, force: true }); // the worktrees too: they live beside the checkout, in root
  }
}
