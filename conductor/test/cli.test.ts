import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/command-table.js';
import { renderHelp } from '../src/cli/help.js';
import { parseCLI } from '../src/cli/parse-cli.js';
import { packageVersion } from '../src/paths.js';
import { backlog, task } from './helpers/backlogs.js';
import { conductor, STACK_FRAME } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';
import { docPath } from '../src/paths.js';

const EXAMPLE = new URL('../../examples/rate-limiter/BACKLOG.yaml', import.meta.url).pathname;

describe('parseCLI (pure)', () => {
  it('finds the command, its arguments and options', () => {
    const parsed = parseCLI(['validate', 'x.yaml', '--json']);
    expect(parsed).toMatchObject({ kind: 'run', args: ['x.yaml'], options: { json: true }, verbose: false });
    expect(parsed.kind === 'run' && parsed.command.name).toBe('validate');
  });

  it('answers --version and --help', () => {
    expect(parseCLI(['--version'])).toEqual({ kind: 'version' });
    expect(parseCLI([])).toEqual({ kind: 'help' });
    expect(parseCLI(['graph', '--help'])).toMatchObject({ kind: 'help', command: { name: 'graph' } });
  });

  it('rejects bad usage with a stable code and a hint', () => {
    expect(() => parseCLI(['valdate'])).toThrow(expect.objectContaining({ code: 'USAGE', message: 'unknown command "valdate"', hint: 'did you mean "validate"? Run conductor --help for the list' }));
    expect(() => parseCLI(['validate', '--jsn'])).toThrow(expect.objectContaining({ message: 'unknown option --jsn (did you mean --json?)' }));
    expect(() => parseCLI(['graph', '--format', 'svg'])).toThrow(expect.objectContaining({ message: 'Expected `--format` to be one of mermaid, dot, got `svg`' }));
    expect(() => parseCLI(['graph', '--format'])).toThrow(expect.objectContaining({ message: 'option --format needs a value' }));
    expect(() => parseCLI(['validate', 'a', 'b'])).toThrow(expect.objectContaining({ message: 'too many arguments for validate: b', hint: 'usage: conductor validate [BACKLOG.yaml]' }));
    expect(() => parseCLI(['demo', 'x'])).toThrow(expect.objectContaining({ message: 'too many arguments for demo: x', hint: 'usage: conductor demo' }));
  });

  it('writes every command\'s usage line with single spaces, arguments or not', () => {
    const lines = COMMANDS.map((c) => renderHelp('0.0.0', c).split('\n')[0]);
    expect(lines.filter((line) => / {2}|\s$/.test(line!))).toEqual([]);
    expect(lines).toContain('Usage: conductor init [options]');
    expect(lines).toContain('Usage: conductor backlog [PLAN.md] [options]');
  });
});

describe('conductor CLI', () => {
  it('prints its version', async () => {
    const result = await conductor(['--version'], { cwd: testdir() });
    expect(result).toEqual({ exitCode: 0, stdout: packageVersion(), stderr: '' });
  });

  it('lists only the commands that work', async () => {
    const result = await conductor(['--help'], { cwd: testdir() });
    expect(result.exitCode).toBe(0);
    const listed = result.stdout.split('\n\nOptions:')[0]!; // the Commands section; Examples come later
    const commands = listed.split('\n').filter((l) => /^ {2}\w/.test(l)).map((l) => l.trim().split(' ')[0]);
    expect(commands).toEqual(['init', 'run', 'resume', 'implement', 'worker', 'plan', 'backlog', 'validate', 'doctor', 'status', 'events', 'ui', 'finish', 'abandon', 'retry', 'repo-map', 'clean', 'graph', 'report', 'factory', 'demo']);
  });

  it('prints a command\'s help with its usage line first', async () => {
    const result = await conductor(['demo', '--help'], { cwd: testdir() });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n').slice(0, 3)).toEqual(['Usage: conductor demo [options]', '', 'The whole pipeline on a bundled example, with recorded sessions: no agent, no key.']);
  });

  it('exits 2 with a hint on an unknown command, without a stack trace', async () => {
    const result = await conductor(['run-it'], { cwd: testdir() });
    expect(result).toEqual({ exitCode: 2, stdout: '', stderr: 'conductor: unknown command "run-it"\nhint: run conductor --help for the list of commands' });
  });

  it('validates the bundled example', async () => {
    const result = await conductor(['validate', EXAMPLE], { cwd: testdir() });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/: valid — 4 tasks; largest worker context \d+ of 3,072 bytes \(T01\)$/);
  });

  it('finds tasks/BACKLOG.yaml from a subdirectory of the repository', async () => {
    const repo = gitdir({ 'tasks/BACKLOG.yaml': backlog(task('T01')), 'src/deep/x.ts': '' });
    const result = await conductor(['validate'], { cwd: join(repo, 'src', 'deep') });
    expect(result).toEqual({ exitCode: 0, stdout: '../../tasks/BACKLOG.yaml: valid — 1 task; largest worker context 114 of 3,072 bytes (T01)', stderr: '' });
  });

  it('reports every problem as file:line:col and exits 2', async () => {
    const repo = gitdir({ 'tasks/BACKLOG.yaml': backlog(task('T01', '    depends-on: [T02]\n'), task('T02', '    depends_on: [T02]\n')) });
    const result = await conductor(['validate'], { cwd: repo });
    expect(result.exitCode).toBe(2);
    expect(result.stdout.split('\n')).toEqual([
      'tasks/BACKLOG.yaml:9:5 error unknown-key: unknown key "depends-on" in task T01 — did you mean "depends_on"?',
      'tasks/BACKLOG.yaml:15:18 error self-dependency: task T02 depends on itself — remove "T02" from its depends_on',
      'tasks/BACKLOG.yaml: 2 problems',
    ]);
  });

  it('says so when there is no backlog', async () => {
    const result = await conductor(['validate'], { cwd: gitdir() });
    expect(result).toEqual({ exitCode: 2, stdout: 'tasks/BACKLOG.yaml:1:1 error io: no such file\ntasks/BACKLOG.yaml: 1 problem', stderr: '' });
  });

  it('prints JSON for machines', async () => {
    const repo = gitdir({ 'tasks/BACKLOG.yaml': backlog(task('T01', '    depends_on: [T09]\n')) });
    const result = await conductor(['validate', '--json'], { cwd: repo });
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      file: 'tasks/BACKLOG.yaml',
      valid: false,
      tasks: null,
      largestContext: { id: 'T01', bytes: 114, budget: 3072 },
      problems: [
        {
          file: 'tasks/BACKLOG.yaml',
          line: 9,
          col: 18,
          kind: 'unknown-dependency',
          path: 'tasks[0].depends_on[0]',
          message: 'task T01 depends on "T09", which is not a task in this backlog',
        },
      ],
    });
  });

  it('uses the budget from conductor.config.yaml and reports config errors with exit 2', async () => {
    const repo = gitdir({ 'tasks/BACKLOG.yaml': backlog(task('T01')), 'conductor.config.yaml': 'budgets: { taskContextBytes: 300 }\n' });
    expect((await conductor(['validate'], { cwd: repo })).stdout).toContain('of 300 bytes');
    writeFileSync(join(repo, 'conductor.config.yaml'), 'budgets: { taskContextBytes: 256 }\nconcurrency: 99\n');
    const bad = await conductor(['validate'], { cwd: repo });
    expect(bad).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `conductor.config.yaml:2:14 error invalid-value: "concurrency" must be <= 16\nconductor: conductor.config.yaml is not valid\nhint: see ${docPath('CONFIG_SCHEMA.md')}`,
    });
  });

  it('reads --config FILE and fails clearly when it is missing', async () => {
    const repo = gitdir({ 'tasks/BACKLOG.yaml': backlog(task('T01')), 'ci.yaml': 'budgets: { taskContextBytes: 512 }\n' });
    expect((await conductor(['validate', '--config', 'ci.yaml'], { cwd: repo })).stdout).toContain('of 512 bytes');
    expect(await conductor(['validate', '--config', 'nope.yaml'], { cwd: repo })).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: 'conductor: config file not found: nope.yaml\nhint: check the path given to --config',
    });
  });

  it('prints the graph as mermaid or dot, refusing an invalid backlog', async () => {
    const mermaid = await conductor(['graph', EXAMPLE], { cwd: testdir() });
    expect(mermaid.exitCode).toBe(0);
    expect(mermaid.stdout).toContain('t0 --> t1');
    const dot = await conductor(['graph', EXAMPLE, '--format', 'dot'], { cwd: testdir() });
    expect(dot.stdout).toContain('"T01" -> "T02";');
    const repo = gitdir({ 'tasks/BACKLOG.yaml': backlog(task('T01', '    depends_on: [T01]\n')) });
    const bad = await conductor(['graph'], { cwd: repo });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe('tasks/BACKLOG.yaml:9:18 error self-dependency: task T01 depends on itself — remove "T01" from its depends_on');
  });

  it('never prints a stack trace for broken input', async () => {
    const dir = testdir();
    const inputs: Record<string, string | Buffer> = {
      'binary.yaml': Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02]),
      'deep.yaml': `tasks: ${'['.repeat(50_000)}`,
      'tabs.yaml': 'tasks:\n\t- id: T01\n',
      'scalar.yaml': '42\n',
      'list.yaml': '- a\n- b\n',
      'multi.yaml': 'version: 1\n---\nversion: 2\n',
      'weird-ids.yaml': backlog(task('"$(rm -rf /)"'), task("'a\\nb'")),
      'null-tasks.yaml': 'version: 1\nfeature: x\ntasks:\n  - null\n  - 3\n  - [a]\n',
    };
    mkdirSync(join(dir, 'a-directory.yaml'));
    for (const [name, content] of Object.entries(inputs)) writeFileSync(join(dir, name), content);
    for (const name of [...Object.keys(inputs), 'a-directory.yaml', 'missing.yaml']) {
      const result = await conductor(['validate', name], { cwd: dir });
      expect(result.exitCode, name).toBe(2);
      expect(`${result.stdout}\n${result.stderr}`, name).not.toMatch(STACK_FRAME);
      expect(result.stdout, name).toMatch(new RegExp(`^${name}:\\d+:\\d+ error `));
    }
  });

  it('turns an unexpected failure into a bug report, with the stack only under --verbose', async () => {
    const dir = testdir();
    const env = { CONDUCTOR_FAULTS: 'cli:before-command' };
    const quiet = await conductor(['validate'], { cwd: dir, env });
    expect(quiet.exitCode).toBe(1);
    expect(quiet.stderr).toMatch(/^conductor: internal error: injected fault at cli:before-command\nThis is a bug in conductor\. Please report it with the command you ran and: conductor \S+, Node v\d+/);
    expect(quiet.stderr).toContain('Run again with --verbose to see the stack trace.');
    expect(quiet.stderr).not.toMatch(STACK_FRAME);
    const verbose = await conductor(['validate', '--verbose'], { cwd: dir, env });
    expect(verbose.stderr).toMatch(STACK_FRAME);
  });
});

describe('the shipped files', () => {
  it('include the schemas the package.json ships', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { files: string[]; bin: Record<string, string> };
    expect(pkg.bin.conductor).toBe('conductor/bin/conductor.js');
    expect(pkg.files).toEqual(expect.arrayContaining(['conductor/schemas', 'conductor/templates', 'dist']));
  });
});
