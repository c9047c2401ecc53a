// #17 points 4-5 through the built CLI: the text timeline and colour on a
// terminal (CONDUCTOR_TTY=1 stands for one), none of either when piped, and no
// colour with NO_COLOR or --no-color; report files that sort by date.
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conductor } from './helpers/cli.js';
import { gitdir } from './helpers/dirs.js';
import { backlog, writeTask } from './helpers/backlogs.js';
import { wantsColor } from '../src/util/colors.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/scripted-agent.mjs', import.meta.url));
const ESC = '\x1b[';
const TERMINAL = { CONDUCTOR_TTY: '1', TERM: 'xterm-256color', NO_COLOR: '' };
const PIPED = { CONDUCTOR_TTY: '', TERM: 'xterm-256color', NO_COLOR: '' };

/** Every src/T*.ts must say "attempt 2": each task's first attempt fails its gate, the second passes. */
function project(): string {
  const check = 'const fs = require("fs"); for (const f of fs.readdirSync("src").filter((f) => f.startsWith("T"))) { if (!fs.readFileSync("src/" + f, "utf8").includes("attempt 2")) process.exit(1) }';
  const env = { SCRIPT_EDIT: 'src/{task}.ts=export const done = "attempt {attempt}";' };
  const config = `provider: scripted\nconcurrency: 1\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(env)}\ngates:\n  - { name: test, run: [${JSON.stringify(process.execPath)}, check.js] }\n`;
  return gitdir({ 'conductor.config.yaml': config, 'tasks/BACKLOG.yaml': backlog(writeTask('T01', 'First'), writeTask('T03', 'Third')), 'src/app.ts': 'export {};\n', 'check.js': check, '.gitignore': 'worktrees/\n.conductor/\n' });
}

const runIds = (repo: string) => [...new Set(readFileSync(join(repo, '.conductor', 'sessions.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { runId: string }).runId))];

/** The project after `implement --only T01`: T01 merged on its second attempt. */
async function retried(): Promise<string> {
  const repo = project();
  const result = await conductor(['implement', '--only', 'T01'], { cwd: repo, env: PIPED });
  // Exit 1: T03 was left pending.
  expect(result.stderr).toContain('implement: T01 attempt 1 failed: gates failed: test\nimplement: T01 merged into conductor/demo (attempt 2)');
  return repo;
}

describe('on a terminal and through a pipe', () => {
  it('decides colour per stream: a terminal unless NO_COLOR (not empty), --no-color or TERM=dumb', () => {
    expect(wantsColor(true, {}, ['status'])).toBe(true);
    expect(wantsColor(false, {}, ['status'])).toBe(false);
    expect(wantsColor(true, { NO_COLOR: '1' }, ['status'])).toBe(false);
    expect(wantsColor(true, { NO_COLOR: '' }, ['status'])).toBe(true);
    expect(wantsColor(true, {}, ['status', '--no-color'])).toBe(false);
    expect(wantsColor(true, { TERM: 'dumb' }, ['status'])).toBe(false);
  });

  it('writes the SVG next to the report with both attempts of the retried task, and prints the text timeline only on a terminal', async () => {
    const repo = await retried();
    const [runId] = runIds(repo);
    // A report written under the old name (docs/runs/<run-id>.md) is replaced, not left beside the new one.
    mkdirSync(join(repo, 'docs', 'runs'), { recursive: true });
    writeFileSync(join(repo, 'docs', 'runs', `${runId}.md`), '# an old report\n');

    const piped = await conductor(['report'], { cwd: repo, env: PIPED });
    expect(piped.exitCode, piped.stderr).toBe(0);
    const [, md, svgPath] = /^written to (docs\/runs\/\d{4}-\d{2}-\d{2}-\d{6}-[0-9a-f-]+\.md) \(timeline: (docs\/runs\/[^)]+\.svg)\)$/.exec(piped.stderr) ?? [];
    expect(md).toBe(`docs/runs/${readdirSync(join(repo, 'docs', 'runs')).find((n) => n.endsWith('.md'))}`);
    expect(readdirSync(join(repo, 'docs', 'runs')).sort()).toEqual([md!.slice('docs/runs/'.length), svgPath!.slice('docs/runs/'.length)]);
    expect(existsSync(join(repo, 'docs', 'runs', `${runId}.md`))).toBe(false);
    expect(piped.stdout).not.toContain(ESC);
    expect(piped.stdout).not.toContain('Timeline, ');
    expect(`${piped.stdout}\n`).toBe(readFileSync(join(repo, md!), 'utf8'));

    const svg = readFileSync(join(repo, svgPath!), 'utf8');
    const bars = [...svg.matchAll(/<rect class="step (\w+)( failed)?" data-attempt="(\d)"[^>]*><title>([^<]+)<\/title><\/rect>/g)].map((m) => [m[1], m[3], m[2] ? 'failed' : '', m[4]!.replace(/, [\d.]+ m?s/, '')]);
    // The event leaving verifying says how long the preparation took; a setup bar is drawn when it took any time.
    const history = (JSON.parse(readFileSync(join(repo, 'tasks', 'T01.status.json'), 'utf8')) as { history: { from?: string; data?: { setupMs?: number } }[] }).history;
    const setupMs = history.filter((h) => h.from === 'verifying').map((h) => h.data?.setupMs);
    expect(setupMs).toEqual([expect.any(Number), expect.any(Number)]);
    const setup = (attempt: number) => (setupMs[attempt - 1]! > 0 ? [['setup', String(attempt), '', `T01 attempt ${attempt}: setup`]] : []);
    expect(bars).toEqual([
      ['worker', '1', '', 'T01 attempt 1: worker'],
      ...setup(1),
      ['gates', '1', 'failed', 'T01 attempt 1: gates, failed (gates)'],
      ['worker', '2', '', 'T01 attempt 2: worker'],
      ...setup(2),
      ['gates', '2', '', 'T01 attempt 2: gates'],
      ['review', '2', '', 'T01 attempt 2: review'],
      ['merge', '2', '', 'T01 attempt 2: merge'],
    ]);

    const terminal = await conductor(['report'], { cwd: repo, env: TERMINAL });
    expect(terminal.exitCode, terminal.stderr).toBe(0);
    const timeline = terminal.stdout.slice(piped.stdout.length);
    expect(terminal.stdout.startsWith(piped.stdout)).toBe(true);
    const plainTimeline = stripVTControlCharacters(timeline);
    expect(plainTimeline).toMatch(/^\n\nTimeline, .+ \(one column ≈ .+\): w worker, s setup, g gates, r review, m merge, ✗ ended its attempt\nT01 {2}w+s*g*✗ *w+s*g+r+m+ *done$/);
    expect(timeline).toContain(`${ESC}31m✗${ESC}39m`);
    expect(timeline).toContain(`${ESC}32mdone${ESC}39m`);

    for (const quiet of [{ args: ['report'], env: { ...TERMINAL, NO_COLOR: '1' } }, { args: ['report', '--no-color'], env: TERMINAL }]) {
      const result = await conductor(quiet.args, { cwd: repo, env: quiet.env });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).not.toContain(ESC);
      expect(result.stdout.slice(piped.stdout.length)).toBe(plainTimeline);
    }
  }, 60_000);

  it('colours task states, doctor results and failures on a terminal, and never with NO_COLOR, --no-color or a pipe', async () => {
    const repo = await retried();
    const status = await conductor(['status'], { cwd: repo, env: TERMINAL });
    expect(status.stdout).toMatch(new RegExp(`^T01 +First +\\x1b\\[32mdone\\x1b\\[39m +2 `, 'm'));
    expect(status.stdout).toContain(`2 tasks: 1 ${ESC}32mdone${ESC}39m, 1 ${ESC}2mpending${ESC}22m`);
    const doctor = await conductor(['doctor'], { cwd: repo, env: TERMINAL });
    const doctorLine = (label: string) => doctor.stdout.split('\n').find((line) => line.startsWith(`${label} `));
    expect(doctorLine('git')).toMatch(new RegExp(`^git {8}${ESC.replace('[', '\\[')}32mok {2}`));
    expect(doctorLine('config')).toBe(`config     ${ESC}32mok  ${ESC}39m conductor.config.yaml`);
    const failure = await conductor(['report', '--run', 'zzz'], { cwd: repo, env: TERMINAL });
    expect(failure.exitCode).toBe(2);
    expect(failure.stderr.split('\n')[0]).toBe(`${ESC}31mconductor: no run zzz in .conductor/sessions.jsonl${ESC}39m`);

    const without = [
      { name: 'piped', env: PIPED, extra: [] },
      { name: 'NO_COLOR', env: { ...TERMINAL, NO_COLOR: '1' }, extra: [] },
      { name: '--no-color', env: TERMINAL, extra: ['--no-color'] },
    ];
    for (const { name, env, extra } of without) {
      for (const args of [['status'], ['doctor'], ['report', '--run', 'zzz']]) {
        const result = await conductor([...args, ...extra], { cwd: repo, env });
        expect(`${result.stdout}${result.stderr}`, `${args.join(' ')} (${name})`).not.toContain(ESC);
        if (args[0] === 'status') expect(result.stdout).toMatch(/^T01 +First +done +2 /m);
      }
    }
  }, 90_000);

  it('names each run\'s report by its start, so docs/runs lists them oldest first', async () => {
    const repo = await retried();
    expect((await conductor(['implement', '--only', 'T03'], { cwd: repo, env: PIPED })).exitCode).toBe(0);
    const [first, second] = runIds(repo);
    expect((await conductor(['report', '--run', second!], { cwd: repo, env: PIPED })).exitCode).toBe(0);
    expect((await conductor(['report', '--run', first!], { cwd: repo, env: PIPED })).exitCode).toBe(0);
    const names = readdirSync(join(repo, 'docs', 'runs')).sort();
    expect(names.map((n) => n.replace(/^\d{4}-\d{2}-\d{2}-\d{6}-/, ''))).toEqual([`${first}.md`, `${first}.svg`, `${second}.md`, `${second}.svg`]);
  }, 90_000);
});
