// The one line that says why an agent failed, from stderr as real programs write it.
import { describe, expect, it } from 'vitest';
import { errorLine } from '../src/agents/classify.js';

const NODE_CRASH = `file:///usr/lib/node_modules/@anthropic-ai/claude-code/cli.js:4821
      throw new Error(\`Invalid model: \${model}\`);
            ^

Error: Invalid model: claude-mock
    at resolveModel (file:///usr/lib/node_modules/@anthropic-ai/claude-code/cli.js:4821:13)
    at async main (file:///usr/lib/node_modules/@anthropic-ai/claude-code/cli.js:9012:5)

Node.js v20.20.2
`;

const PYTHON = `Traceback (most recent call last):
  File "/usr/local/bin/aider", line 8, in <module>
    sys.exit(main())
  File "/usr/local/lib/python3.11/site-packages/aider/main.py", line 412, in main
    raise ValueError("OPENAI_API_KEY is not set")
ValueError: OPENAI_API_KEY is not set
`;

const NPM = `npm error code E404
npm error 404 Not Found - GET https://registry.example/@scope%2fnope - Not found
npm error A complete log of this run can be found in: /root/.npm/_logs/2026-12-02T11_00_00_000Z-debug-0.log
`;

const GIT = `hint: Using 'master' as the name for the initial branch.
fatal: not a git repository (or any of the parent directories): .git
`;

const RUST = `thread 'main' panicked at src/main.rs:12:5:
called \`Result::unwrap()\` on an \`Err\` value: Os { code: 2, kind: NotFound }
note: run with \`RUST_BACKTRACE=1\` environment variable to display a backtrace
`;

describe('errorLine', () => {
  it.each([
    ['a Node crash, not its footer', NODE_CRASH, 'Error: Invalid model: claude-mock'],
    ['a Python traceback', PYTHON, 'ValueError: OPENAI_API_KEY is not set'],
    ['npm', NPM, 'npm error code E404'],
    ['git', GIT, 'fatal: not a git repository (or any of the parent directories): .git'],
    ['a plain last line when nothing names an error', 'loading config\nno model configured for role reviewer\n', 'no model configured for role reviewer'],
    ['a Rust panic: its last line that is not noise', RUST, 'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace'],
    ['nothing at all', '', ''],
  ])('%s', (_name, stderr, expected) => {
    expect(errorLine({ stderrHead: stderr.slice(0, 4096), stderrTail: stderr.slice(-4096) })).toBe(expected);
  });

  it('finds the error at the start of a long stderr whose tail is only trace', () => {
    const head = 'Error: ENOSPC: no space left on device, write\n';
    const trace = '    at writeSync (node:fs:927:3)\n'.repeat(400);
    const all = `${head}${trace}\nNode.js v20.20.2\n`;
    expect(errorLine({ stderrHead: all.slice(0, 4096), stderrTail: all.slice(-4096) })).toBe('Error: ENOSPC: no space left on device, write');
  });
});
