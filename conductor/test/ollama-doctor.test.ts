import { createServer, type Server } from 'node:http';
import { readFileSync, existsSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { applyEdits, ollamaProvider, parseEditBlocks } from '../src/agents/providers/ollama.js';
import { runAgentCall } from '../src/agents/session.js';
import type { AgentRequest } from '../src/agents/types.js';
import { detectGates, packageJsonGates } from '../src/gates/detect-gates.js';
import { runDoctor } from '../src/doctor/run-doctor.js';
import { conductor } from './helpers/cli.js';
import { gitdir, testdir } from './helpers/dirs.js';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A tiny Ollama stand-in on 127.0.0.1 that streams scripted NDJSON. */
async function ollamaServer(lines: object[], options: { status?: number; stallAfter?: number } = {}): Promise<{ url: string; requests: unknown[] }> {
  const requests: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push(JSON.parse(body));
      res.writeHead(options.status ?? 200, { 'content-type': 'application/x-ndjson' });
      const send = lines.slice(0, options.stallAfter ?? lines.length);
      for (const line of send) res.write(`${JSON.stringify(line)}\n`);
      if (options.stallAfter === undefined) res.end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const request = (cwd: string, role: AgentRequest['role'] = 'planner-spec'): AgentRequest => ({ role, taskId: 'T01', attempt: 1, prompt: 'Write SPEC.md', cwd, model: 'qwen3:8b', timeouts: { inactivityMs: 1000, hardMs: 5000 } });

describe('ollama provider', () => {
  it('streams a chat reply into the final message with token counts', async () => {
    const server = await ollamaServer([{ message: { role: 'assistant', content: '# SPEC' } }, { message: { role: 'assistant', content: '\nok' } }, { done: true, prompt_eval_count: 42, eval_count: 7 }]);
    const result = await runAgentCall(ollamaProvider({ baseUrl: server.url }), request(testdir()), { conductorDir: join(testdir(), '.c') });
    expect(result).toMatchObject({ exit: 'ok', finalMessage: '# SPEC\nok', usage: { inputTokens: 42, outputTokens: 7 } });
    expect(server.requests).toEqual([{ model: 'qwen3:8b', messages: [{ role: 'user', content: 'Write SPEC.md' }], stream: true }]);
  });

  it('applies whole-file edit blocks for implementers, inside the worktree only', async () => {
    const reply = 'Here you go.\n=== FILE: src/bucket.ts ===\nexport const x = 1;\n=== END FILE ===\n';
    const server = await ollamaServer([{ message: { content: reply } }, { done: true, prompt_eval_count: 1, eval_count: 1 }]);
    const work = testdir();
    const result = await runAgentCall(ollamaProvider({ baseUrl: server.url }), request(work, 'implementer'), { conductorDir: join(testdir(), '.c') });
    expect(result.exit).toBe('ok');
    expect(readFileSync(join(work, 'src', 'bucket.ts'), 'utf8')).toBe('export const x = 1;\n');
    expect((server.requests[0] as { messages: { content: string }[] }).messages[0]!.content).toContain('=== FILE: path/to/file.ext ===');
  });

  it('refuses edit blocks that leave the worktree', async () => {
    const outside = testdir();
    const work = testdir();
    symlinkSync(outside, join(work, 'link'));
    const edits = parseEditBlocks('=== FILE: ../escape.txt ===\nx\n=== END FILE ===\n=== FILE: /etc/x ===\nx\n=== END FILE ===\n=== FILE: link/y ===\nx\n=== END FILE ===\n=== FILE: .git/hooks/pre-commit ===\nx\n=== END FILE ===\n=== FILE: ok.txt ===\nfine\n=== END FILE ===\n');
    expect(await applyEdits(work, edits)).toEqual({ written: ['ok.txt'], refused: ['../escape.txt', '/etc/x', 'link/y', '.git/hooks/pre-commit'] });
    expect(existsSync(join(outside, 'y'))).toBe(false);
  });

  it('classifies errors: HTTP 429, a stalled stream, no server', async () => {
    const busy = await ollamaServer([{ error: 'too many requests' }], { status: 429 });
    expect((await runAgentCall(ollamaProvider({ baseUrl: busy.url }), request(testdir()), { conductorDir: join(testdir(), '.c') })).exit).toBe('quota');
    const stalled = await ollamaServer([{ message: { content: 'thinking' } }, { done: true }], { stallAfter: 1 });
    const hung = await runAgentCall(ollamaProvider({ baseUrl: stalled.url }), request(testdir()), { conductorDir: join(testdir(), '.c') });
    expect(hung).toMatchObject({ exit: 'hung', finalMessage: 'thinking' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const none = await runAgentCall(ollamaProvider({ baseUrl: `http://127.0.0.1:${port}` }), request(testdir()), { conductorDir: join(testdir(), '.c') });
    expect(none).toMatchObject({ exit: 'failed', detail: `no ollama server at http://127.0.0.1:${port}` });
  });
});

describe('gate detection', () => {
  it('reads package.json scripts, skipping npm\'s placeholder test', () => {
    expect(packageJsonGates(JSON.stringify({ scripts: { test: 'vitest run', lint: 'eslint .', typecheck: 'tsc --noEmit', build: 'tsc' } }))).toEqual([
      { name: 'typecheck', run: ['npm', 'run', 'typecheck'] },
      { name: 'lint', run: ['npm', 'run', 'lint'] },
      { name: 'test', run: ['npm', 'test'] },
    ]);
    expect(packageJsonGates(JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }))).toEqual([]);
    expect(packageJsonGates(JSON.stringify({ scripts: { test: 'jest' } }), 'pnpm')).toEqual([{ name: 'test', run: ['pnpm', 'run', 'test'] }]);
  });

  it.each([
    [{ 'Cargo.toml': '[package]\n' }, 'Cargo.toml', [['cargo', 'test']]],
    [{ 'go.mod': 'module x\n' }, 'go.mod', [['go', 'test', './...'], ['go', 'vet', './...']]],
    [{ 'pyproject.toml': '[tool.pytest.ini_options]\n[tool.ruff]\n' }, 'pyproject.toml', [['python3', '-m', 'pytest'], ['ruff', 'check', '.']]],
    [{ Makefile: 'build:\n\tcc x.c\ntest:\n\t./run-tests\n' }, 'Makefile', [['make', 'test']]],
    [{ 'package.json': '{"scripts":{"test":"jest"}}', 'yarn.lock': '' }, 'package.json', [['yarn', 'test']]],
  ])('detects gates from %j', (files, source, runs) => {
    const found = detectGates(testdir(files as Record<string, string>));
    expect(found.source).toBe(source);
    expect(found.gates.map((g) => g.run)).toEqual(runs);
  });
});

describe('conductor doctor', () => {
  const BIN = fileURLToPath(new URL('./fixtures/bin', import.meta.url));

  it('finds the CLIs on PATH with their versions and routes every role to the default', async () => {
    const repo = gitdir({ 'package.json': '{"scripts":{"test":"vitest run"}}' });
    const report = await runDoctor({ repoRoot: repo, cwd: repo, env: { PATH: `${BIN}${delimiter}${process.env.PATH}`, ANTHROPIC_API_KEY: 'x' } });
    expect(report.git).toMatchObject({ ok: true, worktrees: true });
    expect(report.providers.filter((p) => p.kind === 'cli').map((p) => [p.name, p.available, p.version])).toEqual([
      ['opencode', true, '1.18.33'],
      ['claude', true, '2.1.197'],
      ['codex', true, '0.169.0'],
      ['gemini', true, '0.61.0'],
    ]);
    expect(report.keys.filter((k) => k.set).map((k) => k.name)).toEqual(['ANTHROPIC_API_KEY']);
    expect(report.gates).toEqual({ gates: [{ name: 'test', run: ['npm', 'test'] }], source: 'detected from package.json' });
    expect(report.defaultProvider).toBe('opencode');
    expect(report.canRun).toBe(true);
  });

  it('says what is missing and exits 1 when nothing can run', async () => {
    const repo = gitdir({ 'conductor.config.yaml': 'provider: claude\n' });
    const result = await conductor(['doctor'], { cwd: repo, env: { PATH: '/usr/bin:/bin' } });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^git {8}ok {2}\d+\.\d+/);
    expect(result.stdout).toContain('no  claude     not found on PATH');
    expect(result.stdout).toContain('no  implementer   → claude');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('not ready: not available: claude. Install an agent CLI (npm install -g opencode-ai, @anthropic-ai/claude-code, @openai/codex or @google/gemini-cli) or set provider in conductor.config.yaml.');
  });

  it('reports a configured command provider and an invalid config (exit 2)', async () => {
    const repo = gitdir({ 'conductor.config.yaml': 'provider: mine\nproviders:\n  mine: { command: ["node", "agent.js"] }\n' });
    const ok = await conductor(['doctor', '--json'], { cwd: repo, env: { PATH: process.env.PATH ?? '' } });
    const report = JSON.parse(ok.stdout) as { providers: { name: string; kind: string; available: boolean }[]; canRun: boolean };
    expect(report.providers).toContainEqual(expect.objectContaining({ name: 'mine', kind: 'command', available: true }));
    expect(report.canRun).toBe(true);
    expect(ok.exitCode).toBe(0);
    mkdirSync(join(repo, 'x'), { recursive: true });
    writeFileSync(join(repo, 'conductor.config.yaml'), 'provider: mine\nconcurency: 2\n');
    const bad = await conductor(['doctor'], { cwd: repo, env: { PATH: process.env.PATH ?? '' } });
    expect(bad.exitCode).toBe(2);
    expect(bad.stdout).toContain('conductor.config.yaml:2:1 error unknown-key: unknown key "concurency" — did you mean "concurrency"?');
  });
});
