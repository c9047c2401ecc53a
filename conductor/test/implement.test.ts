import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { execa } from 'execa';
import { BIN, conductor, maskLogs } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { backlog, writeTask } from './helpers/backlogs.js';
import { worktreePath } from './helpers/worktree-path.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

const BACKLOG = backlog(
  writeTask('T01', 'First'),
  writeTask('T02', 'Second', ['T01']),
  writeTask('T03', 'Third'),
);

/** A repository whose agents are scripted and whose gate checks every src/T*.ts says what `wanted` says. */
function project(env: Record<string, string>, gate = 'attempt') {
  const log = join(testdir(), 'prompts.jsonl');
  const check = `const fs = require("fs"); for (const f of fs.readdirSync("src").filter((f) => f.startsWith("T"))) { const t = fs.readFileSync("src/" + f, "utf8"); if (!t.includes(${JSON.stringify(gate)})) { console.error(f + " lacks ${gate}: " + t.trim()); process.exit(1) } }`;
  const config = `provider: scripted\nconcurrency: 2\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify({ SCRIPT_LOG: log, SCRIPT_EDIT: 'src/{task}.ts=export const done = "attempt {attempt}";', ...env })}\ngates:\n  - { name: test, run: [${JSON.stringify(process.execPath)}, check.js] }\n`;
  const repo = gitdir({ 'conductor.config.yaml': config, 'tasks/BACKLOG.yaml': BACKLOG, 'src/app.ts': 'export {};\n', 'check.js': check, '.gitignore': 'worktrees/\n.conductor/\n' });
  const prompts = () => readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { role: string; attempt: number; prompt: string });
  return { repo, prompts };
}

describe('conductor implement', () => {
  it('runs every task through worker, gates, review and merge, in dependency order, leaving the user checkout alone', async () => {
    const { repo } = project({});
    const before = { head: sh(repo, 'rev-parse', 'HEAD'), branch: sh(repo, 'branch', '--show-current') };
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toBe('3 tasks: 3 done\nall merged into conductor/demo; merge it into your branch with: git merge conductor/demo');
    expect(result.stderr).not.toContain('\x1b'); // not a terminal: plain report lines, no live table
    expect(sh(repo, 'ls-tree', '--name-only', 'conductor/demo', 'src/').split('\n').sort()).toEqual(['src/T01.ts', 'src/T02.ts', 'src/T03.ts', 'src/app.ts']);
    const merges = sh(repo, 'log', '--merges', '--format=%s', 'conductor/demo').split('\n').reverse();
    expect(merges.indexOf('Merge T01: First')).toBeLessThan(merges.indexOf('Merge T02: Second'));
    const backlog = validateBacklogText(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'), 'f').backlog!;
    expect(backlog.tasks.map((t) => [t.id, t.status, t.attempts])).toEqual([['T01', 'done', 1], ['T02', 'done', 1], ['T03', 'done', 1]]);
    expect({ head: sh(repo, 'rev-parse', 'HEAD'), branch: sh(repo, 'branch', '--show-current') }).toEqual(before);
    expect(sh(repo, 'status', '--porcelain', '--untracked-files=all').split('\n').map((line) => line.trim().replace(/^\S+\s+/, '')).filter((path) => !path.startsWith('tasks/'))).toEqual(['docs/repo-map.md']); // conductor's own files only
    for (const id of ['T01', 'T02', 'T03']) expect(existsSync(worktreePath(repo, id))).toBe(false);
    expect(JSON.parse(readFileSync(join(repo, 'tasks', 'T02.status.json'), 'utf8'))).toMatchObject({ status: 'done', attempt: 1, review: { verdict: 'approve' } });
  });

  it('retries a failed gate in a fresh session with the failure as negative evidence', async () => {
    const { repo, prompts } = project({}, 'attempt 2');
    const result = await conductor(['implement', '--only', 'T01'], { cwd: repo });
    const backlog = validateBacklogText(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'), 'f').backlog!;
    expect(backlog.tasks.find((t) => t.id === 'T01')).toMatchObject({ status: 'done', attempts: 2 });
    expect(result.exitCode).toBe(1); // T02 and T03 were not asked for
    const workers = prompts().filter((p) => p.role === 'implementer');
    expect(workers.map((p) => p.attempt)).toEqual([1, 2]);
    expect(workers[1]!.prompt).toContain('attempt 1: gate test failed: T01.ts lacks attempt 2: export const done = "attempt 1";');
    expect(readFileSync(join(repo, 'tasks', 'T01.notes.md'), 'utf8')).toContain('## Attempt 1: failed — gates failed: test');
  });

  it('shows a task as verifying while its gates run, and records a gate failure from there', async () => {
    const { repo } = project({}, 'attempt 2');
    // The gate asks `conductor status` what it shows while the gate itself is running on T01's worktree.
    const ask = `const { execFileSync } = require("child_process"); const path = require("path"); if (path.basename(process.cwd()) === "T01") require("fs").appendFileSync(${JSON.stringify(join(repo, 'seen.txt'))}, execFileSync(process.execPath, [${JSON.stringify(BIN)}, "status"], { cwd: ${JSON.stringify(repo)}, encoding: "utf8" }).split("\\n").filter((l) => l.startsWith("T01")).join("\\n") + "\\n");\n`;
    writeFileSync(join(repo, 'check.js'), ask + readFileSync(join(repo, 'check.js'), 'utf8'));
    execFileSync('sh', ['-c', 'git add check.js && git -c user.name=t -c user.email=t@t commit -qm gate'], { cwd: repo });
    await conductor(['implement', '--only', 'T01'], { cwd: repo });
    expect(readFileSync(join(repo, 'seen.txt'), 'utf8').trim().split('\n').map((l) => l.split(/ {2,}/).slice(0, 4))).toEqual([
      ['T01', 'First', 'verifying', '1'],
      ['T01', 'First', 'verifying', '2'],
    ]);
    const status = JSON.parse(readFileSync(join(repo, 'tasks', 'T01.status.json'), 'utf8')) as { history: { to: string }[] };
    expect(status.history.map((h) => h.to)).toEqual(['pending', 'ready', 'running', 'verifying', 'failed', 'ready', 'running', 'verifying', 'review', 'merging', 'done']);
  });

  it('blocks a task whose attempts are used up, saying what was tried', async () => {
    const { repo } = project({}, 'never');
    const result = await conductor(['implement', '--only', 'T03'], { cwd: repo });
    expect(result.exitCode).toBe(1);
    const status = JSON.parse(readFileSync(join(repo, 'tasks', 'T03.status.json'), 'utf8')) as { status: string; attempt: number; note: string };
    expect(status).toMatchObject({ status: 'blocked', attempt: 3 });
    expect(status.note).toBe('attempts used up (3); last: gates failed: test; see tasks/T03.notes.md');
  });

  it('stops before any task when the base already fails its gates, unless told to go on', async () => {
    const { repo } = project({}, 'never');
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'x'], { cwd: repo });
    // The base has no src/T*.ts yet, so add one that fails the gate.
    execFileSync('sh', ['-c', 'echo broken > src/T00.ts && git add src/T00.ts && git -c user.name=t -c user.email=t@t commit -qm base'], { cwd: repo });
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('conductor: the base already fails its gates: test\nhint: fix the base first, or pass --allow-failing-baseline');
  });
});

describe('a worker context over budget', () => {
  it('is compressed by the compressor role before the worker starts, instead of stopping the run', async () => {
    const short = '# Task T03: Third\n\nWrite src/T03.ts.\n\n## Acceptance criteria\n- it exists\n';
    const { repo, prompts } = project({ SCRIPT_COMPRESSED: short });
    const backlog = BACKLOG.replace('description: Write src/T03.ts.', `description: Write src/T03.ts. ${'Mind the details. '.repeat(20)}`);
    writeFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), backlog);
    writeFileSync(join(repo, 'conductor.config.yaml'), `${readFileSync(join(repo, 'conductor.config.yaml'), 'utf8')}budgets: { taskContextBytes: 300 }\n`);
    const result = await conductor(['implement', '--only', 'T03'], { cwd: repo });
    expect(result.stderr.split('\n')).toContain("implement: T03's context is 182 bytes over budget; asking the compressor");
    expect(readFileSync(join(repo, 'tasks', 'T03.context.md'), 'utf8')).toBe(short);
    expect(prompts().map((p) => p.role)).toEqual(['compressor', 'implementer', 'reviewer']);
    expect(JSON.parse(readFileSync(join(repo, 'tasks', 'T03.status.json'), 'utf8'))).toMatchObject({ status: 'done', metrics: { contextBytes: Buffer.byteLength(short) } });
  });

  it('is not blocked when the compressor hits a rate limit: new starts pause, the attempt is given back, and resume compresses it again', async () => {
    const short = '# Task T03: Third\n\nWrite src/T03.ts.\n\n## Acceptance criteria\n- it exists\n';
    const { repo, prompts } = project({ SCRIPT_COMPRESSED: short, SCRIPT_QUOTA: 'compressor' });
    writeFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), BACKLOG.replace('description: Write src/T03.ts.', `description: Write src/T03.ts. ${'Mind the details. '.repeat(20)}`));
    const config = join(repo, 'conductor.config.yaml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}budgets: { taskContextBytes: 300 }\n`);
    const limited = await conductor(['implement', '--only', 'T03'], { cwd: repo });
    expect(limited.exitCode).toBe(1);
    const limit = 'the compressor hit a rate limit: exit code 1: Error: 429 Too Many Requests: rate limit exceeded, retry later; log: <call.log>';
    expect(maskLogs(limited.stdout).split('\n')[1]).toBe(`new starts paused after a rate limit (T03: ${limit}); run conductor resume later`);
    expect(prompts().map((p) => p.role)).toEqual(['compressor']);
    expect(JSON.parse(maskLogs(readFileSync(join(repo, 'tasks', 'T03.status.json'), 'utf8')))).toMatchObject({ status: 'interrupted', attempt: 0, note: `rate-limited (not the task's fault): ${limit}` });

    writeFileSync(config, readFileSync(config, 'utf8').replace(',"SCRIPT_QUOTA":"compressor"', ''));
    const resumed = await conductor(['implement', '--only', 'T03'], { cwd: repo });
    expect(resumed.stdout.split('\n')[0]).toBe('3 tasks: 2 pending, 1 done');
    expect(prompts().map((p) => p.role)).toEqual(['compressor', 'compressor', 'implementer', 'reviewer']);
    expect(JSON.parse(readFileSync(join(repo, 'tasks', 'T03.status.json'), 'utf8'))).toMatchObject({ status: 'done', attempt: 1 });
  });
});

describe('Ctrl-C during implementation', () => {
  /** Start `conductor implement --only T03`, wait until `role` is running, and press Ctrl-C. */
  async function interruptAt(role: string) {
    const { repo, prompts } = project({ SCRIPT_HANG: role });
    const child = execa(process.execPath, [BIN, 'implement', '--only', 'T03'], { cwd: repo, reject: false, stdin: 'ignore' });
    const running = () => {
      try {
        return prompts().some((p) => p.role === role);
      } catch {
        return false; // no session has started yet
      }
    };
    for (let i = 0; i < 300 && !running(); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const stopped = await child;
    expect(stopped.exitCode, `${stopped.stdout}\n${stopped.stderr}`).toBe(130);
    const config = join(repo, 'conductor.config.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace(`,"SCRIPT_HANG":"${role}"`, ''));
    return { repo, prompts };
  }
  const backlogT03 = (repo: string) => validateBacklogText(readFileSync(join(repo, 'tasks', 'BACKLOG.yaml'), 'utf8'), 'f').backlog!.tasks.find((t) => t.id === 'T03');

  it('in a review gives the attempt back, and resume reviews the same commit without a new worker', async () => {
    const { repo, prompts } = await interruptAt('reviewer');
    expect(JSON.parse(maskLogs(readFileSync(join(repo, 'tasks', 'T03.status.json'), 'utf8')))).toMatchObject({ status: 'interrupted', attempt: 0, note: "stopped by Ctrl-C during its review; resume reviews the attempt's commit again" });
    expect(backlogT03(repo)).toMatchObject({ status: 'interrupted', attempts: 0 });
    const commit = sh(repo, 'rev-parse', 'task/T03');

    const resumed = await conductor(['implement', '--only', 'T03'], { cwd: repo });
    expect(resumed.stderr).toContain('implement: T03 attempt 1: its review was cut short by Ctrl-C; its commit is checked and reviewed again\n');
    expect(prompts().map((p) => p.role)).toEqual(['implementer', 'reviewer', 'reviewer']);
    expect(sh(repo, 'log', '--format=%s', '-1', 'conductor/demo^2')).toBe('T03: Third (attempt 1)');
    expect(sh(repo, 'rev-parse', 'conductor/demo^2')).toBe(commit);
    expect(backlogT03(repo)).toMatchObject({ status: 'done', attempts: 1 });
  }, 90_000);

  it('in a worker session gives the attempt back, and resume starts that attempt again in a fresh session', async () => {
    const { repo, prompts } = await interruptAt('implementer');
    expect(JSON.parse(maskLogs(readFileSync(join(repo, 'tasks', 'T03.status.json'), 'utf8')))).toMatchObject({ status: 'interrupted', attempt: 0, note: 'stopped by Ctrl-C; resume re-queues it' });
    const resumed = await conductor(['implement', '--only', 'T03'], { cwd: repo });
    expect(resumed.stdout.split('\n')[0]).toBe('3 tasks: 2 pending, 1 done');
    expect(prompts().map((p) => [p.role, p.attempt])).toEqual([['implementer', 1], ['implementer', 1], ['reviewer', 1]]);
    expect(backlogT03(repo)).toMatchObject({ status: 'done', attempts: 1 });
  }, 90_000);
});

describe('on a terminal', () => {
  it('redraws the task table below the report lines and shows the cursor again at the end', async () => {
    const { repo } = project({});
    // A real pseudo-terminal from util-linux `script`; its command line goes through a shell, hence the quoting.
    const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;
    const result = await execa('script', ['-q', '-e', '-c', [process.execPath, BIN, 'implement'].map(quote).join(' '), '/dev/null'], { cwd: repo, reject: false, stdin: 'ignore', timeout: 30_000 });
    expect(result.exitCode, result.stdout).toBe(0);
    const screen = result.stdout.replaceAll('\r\n', '\n');
    expect(screen.startsWith('\x1b[?25l')).toBe(true);
    expect(screen).toContain('A\x1b[Jimplement: T01 starts (new)\n'); // cursor up over the table, erased, the line, the table again
    const [table, after] = screen.split('\x1b[?25h');
    const frame = table!.slice(table!.lastIndexOf('\x1b[J') + 3).split('\n');
    // Cells split on the column gaps; the elapsed time (the fifth cell) depends on the machine.
    expect(frame.map((line) => line.split(/ {2,}/).map((cell, i) => (i === 4 && /^\d+s$/.test(cell) ? 'Ns' : cell)))).toEqual([
      ['ID', 'TITLE', 'STATE', 'ATTEMPT', 'ELAPSED', 'TOKENS IN/OUT', 'COST'],
      ['T01', 'First', 'done', '1', 'Ns', '-', '-'],
      ['T02', 'Second', 'done', '1', 'Ns', '-', '-'],
      ['T03', 'Third', 'done', '1', 'Ns', '-', '-'],
      ['3 tasks: 3 done'],
      [''],
    ]);
    expect(after).toBe('3 tasks: 3 done\nall merged into conductor/demo; merge it into your branch with: git merge conductor/demo'); // execa strips the last newline
  });
});

describe('resuming implementation after a crash', () => {
  it('re-queues tasks left in flight, and never redoes a merge that already happened', async () => {
    const { repo, prompts } = project({});
    expect((await conductor(['implement', '--only', 'T01'], { cwd: repo })).exitCode).toBe(1); // T02, T03 not asked for
    // Simulate a crash: T01 recorded as still merging (its merge did happen), T03 left running.
    const path = join(repo, 'tasks', 'BACKLOG.yaml');
    const text = readFileSync(path, 'utf8');
    const t01 = text.indexOf('id: T01');
    const t03 = text.indexOf('id: T03');
    let edited = text.slice(0, t01) + text.slice(t01).replace(/status: done/, 'status: merging');
    edited = edited.slice(0, t03) + edited.slice(t03).replace(/status: pending/, 'status: running');
    // T01's branch was deleted after the merge; put it back at the merged tip, as a crash before the clean-up would leave it.
    execFileSync('git', ['branch', 'task/T01', sh(repo, 'rev-parse', 'conductor/demo^2')], { cwd: repo });
    writeFileSync(path, edited);
    const workersBefore = prompts().filter((p) => p.role === 'implementer').length;
    const result = await conductor(['implement'], { cwd: repo });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toBe('3 tasks: 3 done\nall merged into conductor/demo; merge it into your branch with: git merge conductor/demo');
    const workers = prompts().filter((p) => p.role === 'implementer').slice(workersBefore);
    expect(workers.map((p) => /Task (T\d+)/.exec(p.prompt)?.[1]).sort()).toEqual(['T02', 'T03']); // T01 was not redone
    expect(sh(repo, 'log', '--merges', '--format=%s', 'conductor/demo').split('\n').filter((s) => s.startsWith('Merge T01'))).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(repo, 'tasks', 'T01.status.json'), 'utf8'))).toMatchObject({ status: 'done', note: 'merged into conductor/demo (found on resume)' });
  });
});

describe('flagged changes', () => {
  it('runs the gates only after the reviewer approved a change to CI, and fails the attempt when they fail', async () => {
    const { repo, prompts } = project({ SCRIPT_EDIT: 'src/{task}.ts=export const done = "attempt {attempt}";|.github/workflows/{task}.yml=on: push' }, 'attempt 9');
    const result = await conductor(['implement', '--only', 'T03'], { cwd: repo });
    expect(result.exitCode).toBe(1);
    const status = JSON.parse(readFileSync(join(repo, 'tasks', 'T03.status.json'), 'utf8')) as { status: string; note: string };
    expect(status).toMatchObject({ status: 'blocked', note: 'attempts used up (3); last: gates failed after approval: test; see tasks/T03.notes.md' });
    // Every attempt was reviewed before any gate ran on it.
    expect(prompts().filter((p) => p.role === 'reviewer').length).toBe(3);
    const reviewer = prompts().find((p) => p.role === 'reviewer')!.prompt;
    expect(reviewer).toContain('## Flagged: changes to agent settings, hooks or CI\n- .github/workflows/T03.yml');
  });
});

describe('after conductor itself was killed', () => {
  it('stops agent and gate processes an earlier conductor left running', async () => {
    const { repo } = project({});
    const orphan = spawn('sleep', ['300'], { detached: true, stdio: 'ignore', env: { ...process.env, CONDUCTOR_HOME: join(repo, '.conductor') } });
    orphan.unref();
    const result = await conductor(['implement', '--only', 'T01'], { cwd: repo });
    expect(result.stderr).toContain('conductor: stopped 1 agent or gate process left running by an earlier conductor');
    const stat = (() => {
      try {
        return readFileSync(`/proc/${orphan.pid}/stat`, 'utf8');
      } catch {
        return '';
      }
    })();
    expect(stat === '' || stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z').toBe(true);
  });
});

describe('--merge', () => {
  it('merges the integration branch into a clean checkout at the end', async () => {
    const { repo } = project({});
    const branch = sh(repo, 'branch', '--show-current');
    const result = await conductor(['implement', '--merge'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    const head = sh(repo, 'rev-parse', '--short=12', 'HEAD');
    expect(result.stdout).toBe(`3 tasks: 3 done\nall merged into conductor/demo; merged conductor/demo into ${branch} (${head})`);
    expect(sh(repo, 'log', '-1', '--format=%s')).toBe('Merge conductor/demo (conductor)');
    expect(readFileSync(join(repo, 'src', 'T02.ts'), 'utf8')).toBe('export const done = "attempt 1";\n');
  });

  it('leaves a checkout with uncommitted changes alone, says so at the start and how to merge, and exits 1', async () => {
    const { repo } = project({});
    const head = sh(repo, 'rev-parse', 'HEAD');
    writeFileSync(join(repo, 'src', 'app.ts'), 'export const mine = 1;\n');
    const result = await conductor(['implement', '--merge'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(1); // the merge asked for did not happen
    expect(result.stderr.split('\n').slice(0, 2)).toEqual([
      'sandbox: none (CONDUCTOR_SANDBOX); agents can write outside their worktree, the boundary check undoes it',
      'warning: --merge: your checkout has uncommitted changes (1 file); commit or stash them; unless that changes by the end, the merge will not happen and the run exits 1',
    ]);
    expect(result.stdout).toBe('3 tasks: 3 done\nall merged into conductor/demo; not merged: your checkout has uncommitted changes (1 file); commit or stash them, then run: git merge --no-ff conductor/demo');
    expect(sh(repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(readFileSync(join(repo, 'src', 'app.ts'), 'utf8')).toBe('export const mine = 1;\n');
  });

  it('aborts a merge that conflicts with the user branch, leaving it as it was', async () => {
    const { repo } = project({});
    const result0 = await conductor(['implement', '--only', 'T01'], { cwd: repo });
    expect(result0.exitCode).toBe(1);
    execFileSync('sh', ['-c', 'mkdir -p src && echo mine > src/T03.ts && git add src/T03.ts && git -c user.name=t -c user.email=t@t commit -qm mine'], { cwd: repo });
    const head = sh(repo, 'rev-parse', 'HEAD');
    const result = await conductor(['implement', '--merge'], { cwd: repo });
    expect(result.stdout).toContain('not merged: conductor/demo conflicts with');
    expect(result.stdout).toContain('in src/T03.ts; the merge was aborted and nothing changed. Resolve it yourself: git merge --no-ff conductor/demo');
    expect(sh(repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(sh(repo, 'status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)tasks')).toBe(''); // only conductor's status updates
  }, 90_000);
});

describe('gates after merge', () => {
  it('undoes a merge that breaks the gates on the integration branch and regenerates the task from the new tip', async () => {
    // Each task alone passes; together they exceed the gate's limit of two files in src/.
    const { repo } = project({});
    const config = readFileSync(join(repo, 'conductor.config.yaml'), 'utf8');
    writeFileSync(join(repo, 'limit.js'), 'if (require("fs").readdirSync("src").length > 2) { console.error("too many files in src"); process.exit(1) }\n');
    writeFileSync(join(repo, 'conductor.config.yaml'), config.replace(/gates:\n.*\n$/, `gates_after_merge: true\ngates:\n  - { name: limit, run: [${JSON.stringify(process.execPath)}, limit.js] }\n`));
    execFileSync('sh', ['-c', 'git add -A && git -c user.name=t -c user.email=t@t commit -qm limit'], { cwd: repo });
    const result = await conductor(['implement', '--only', 'T01,T03'], { cwd: repo });
    expect(result.exitCode).toBe(1);
    const files = sh(repo, 'ls-tree', '--name-only', 'conductor/demo', 'src/').split('\n');
    expect(files).toHaveLength(2); // app.ts and the one task that merged first
    const late = ['T01', 'T03'].find((id) => !files.includes(`src/${id}.ts`))!;
    const status = JSON.parse(readFileSync(join(repo, 'tasks', `${late}.status.json`), 'utf8')) as { status: string; history: { to: string; note?: string }[] };
    expect(status.history.find((h) => h.to === 'failed')!.note).toBe('gates failed after merging into conductor/demo: limit; the merge was undone');
    expect(status.status).toBe('blocked');
    expect(readFileSync(join(repo, 'tasks', `${late}.notes.md`), 'utf8')).toContain('too many files in src');
  }, 120_000);
});
