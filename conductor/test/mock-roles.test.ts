// The mock model server's pipeline answers: the working directory found where
// each CLI version puts it (request shapes trimmed from real captures), the
// role read from conductor's prompt, and a backlog conductor accepts.
import { describe, expect, it } from 'vitest';
import { validateBacklogText } from '../src/backlog/validate-backlog.js';
import { pipelineReply, roleOf, workingDirectoryOf } from './fixtures/mock-roles.mjs';

const PROMPT = 'You implement exactly one task, in a fresh session, in a git worktree made for\nit.\n\n---\n\n# Task T01: Greeting\n';
const ENVIRONMENT = (dir: string) => `# Environment\nYou have been invoked in the following environment: \n - Primary working directory: ${dir}\n - Is a git repository: true\n - Platform: linux\n`;
const REMINDER = "<system-reminder>\nAs you answer the user's questions, you can use the following context:\n# currentDate\nToday's date is 2026-12-02.\n</system-reminder>\n\n";

/** Claude Code 2.1.197: the environment block ends the system prompt. */
const claude2_1_197 = {
  model: 'claude-mock',
  messages: [
    { role: 'user', content: [{ type: 'text', text: REMINDER }, { type: 'text', text: PROMPT }] },
    { role: 'system', content: 'Available agent types for the Agent tool:\n- claude: Catch-all' },
  ],
  system: [
    { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.197.728; cc_entrypoint=sdk-cli;' },
    { type: 'text', text: "You are a Claude agent, built on Anthropic's Claude Agent SDK." },
    { type: 'text', text: `\nYou are an interactive agent that helps users with software engineering tasks.\n\n${ENVIRONMENT('/tmp/w-197')} - You are powered by the model claude-mock.\n` },
  ],
};

/** Claude Code 2.1.332: the system prompt has no environment; a system entry after the first user message does. */
const claude2_1_332 = {
  model: 'claude-mock',
  messages: [
    { role: 'user', content: [{ type: 'text', text: REMINDER.replace('# currentDate', '# gitStatus\nCurrent branch: task/T01') }, { type: 'text', text: '<system-reminder>\nAttribution for git commits…\n</system-reminder>' }, { type: 'text', text: PROMPT }] },
    { role: 'system', content: [{ type: 'text', text: `${ENVIRONMENT('/tmp/w-332')} - Shell: bash\n` }] },
  ],
  system: [
    { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.332.100; cc_entrypoint=sdk-cli;' },
    { type: 'text', text: '\nYou are an interactive agent that helps users with software engineering tasks.\n\n# Memory\n\nYou have a persistent file-based memory at `/tmp/state/home/.claude/projects/x/memory/`.\n' },
  ],
};

describe('the mock model server finds the working directory', () => {
  it('in Claude Code 2.1.197\'s system prompt', () => {
    expect(workingDirectoryOf(claude2_1_197)).toBe('/tmp/w-197');
    expect(pipelineReply('anthropic', claude2_1_197, { kind: 'pipeline', tasks: [{ id: 'T01', title: 'Greeting', path: 'src/greet.js', content: 'x\n' }] })).toEqual({ kind: 'write', path: '/tmp/w-197/src/greet.js', content: 'x\n', text: 'Wrote src/greet.js.' });
  });

  it('in Claude Code 2.1.332\'s system entry after the first user message', () => {
    expect(workingDirectoryOf({ system: claude2_1_332.system })).toBeUndefined(); // no longer in the system prompt
    expect(workingDirectoryOf(claude2_1_332)).toBe('/tmp/w-332');
    expect(pipelineReply('anthropic', claude2_1_332, { kind: 'pipeline', tasks: [{ id: 'T01', title: 'Greeting', path: 'src/greet.js', content: 'x\n' }] })).toMatchObject({ kind: 'write', path: '/tmp/w-332/src/greet.js' });
  });

  it('in a reminder block inside the first user message', () => {
    const body = { messages: [{ role: 'user', content: [{ type: 'text', text: `<system-reminder>\n${ENVIRONMENT('/tmp/w-reminder')}</system-reminder>` }, { type: 'text', text: PROMPT }] }] };
    expect(workingDirectoryOf(body)).toBe('/tmp/w-reminder');
  });

  it.each([
    ['codex', { input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/tmp/w-codex</cwd>\n  <shell>bash</shell>\n</environment_context>' }] }] }, '/tmp/w-codex'],
    ['opencode', { messages: [{ role: 'system', content: 'Here is some useful information about the environment you are running in:\n<env>\n  Working directory: /tmp/w-opencode\n  Workspace root folder: /tmp/w-opencode\n</env>' }] }, '/tmp/w-opencode'],
    ['gemini', { contents: [{ role: 'user', parts: [{ text: "<session_context>\nThe project's temporary directory is: /tmp/state/.gemini/tmp/w\n- **Workspace Directories:**\n  - /tmp/w-gemini\n- **Directory Structure:**\n" }] }] }, '/tmp/w-gemini'],
  ])('in %s\'s words', (_cli, body, dir) => {
    expect(workingDirectoryOf(body)).toBe(dir);
  });

  it('says so, rather than writing somewhere else, when the request names none', () => {
    const body = { messages: [{ role: 'user', content: PROMPT }] };
    expect(pipelineReply('chat', body, { kind: 'pipeline', tasks: [{ id: 'T01', title: 'Greeting', path: 'src/greet.js', content: 'x\n' }] })).toEqual({ kind: 'text', text: 'mock model: the request names no working directory I can find' });
  });
});

describe('the mock model server\'s pipeline answers', () => {
  it('read the role from the prompt', () => {
    expect(roleOf('You are the spec planner in a fresh session.')).toBe('planner-spec');
    expect(roleOf('You merge three planning documents into one plan')).toBe('plan-merge');
    expect(roleOf('You review one change, in a fresh session.')).toBe('reviewer');
    expect(roleOf('Generate a title for this conversation')).toBeUndefined();
  });

  it('give the backlog role a backlog conductor accepts, and the reviewer an approval', () => {
    const tasks = [
      { id: 'T01', title: 'Greeting', path: 'src/greet.js', content: 'x\n' },
      { id: 'T02', title: 'Farewell: polite', path: 'src/farewell.js', content: 'y\n' },
    ];
    const backlog = pipelineReply('anthropic', { messages: [{ role: 'user', content: 'You turn a plan into a backlog, in a fresh session.\nFeature slug: `greetings`.' }] }, { kind: 'pipeline', tasks });
    const yaml = /```yaml\n([\s\S]*)```/.exec(backlog.text!)![1]!;
    const report = validateBacklogText(yaml, 'BACKLOG.yaml');
    expect(report.problems).toEqual([]);
    expect(report.backlog!.feature).toBe('greetings');
    expect(report.backlog!.tasks.map((t) => [t.id, t.title])).toEqual([['T01', 'Greeting'], ['T02', 'Farewell: polite']]);
    const verdict = pipelineReply('responses', { input: [{ role: 'user', content: [{ type: 'input_text', text: 'You review one change, in a fresh session.' }] }] }, { kind: 'pipeline', tasks });
    expect(JSON.parse(verdict.text!)).toMatchObject({ verdict: 'approve' });
  });
});
