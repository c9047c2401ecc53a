// For the event stream and dashboard tests: a repository whose run is played
// by scripted agents, and `conductor ui` started on it as a real process.
import { execa, type ResultPromise } from 'execa';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { BIN } from './cli.js';
import { gitdir } from './dirs.js';

const SCRIPT = fileURLToPath(new URL('../fixtures/scripted-agent.mjs', import.meta.url));

/** Three tasks: T01 approved at once; T02 (after T01) fails its gate on attempt 1 and merges on attempt 2; T03 always fails, blocked after 2 attempts. */
export const SCRIPTED_BACKLOG = `version: 1
feature: events
tasks:
  - { id: T01, title: First, description: Write src/T01.ts., acceptance: [it exists], scope: { files_hint: [src/T01.ts] } }
  - { id: T02, title: Retried, description: Write src/T02.ts., depends_on: [T01], acceptance: [it exists], scope: { files_hint: [src/T02.ts] } }
  - { id: T03, title: Never works, description: Write src/T03.ts., acceptance: [it exists], scope: { files_hint: [src/T03.ts] } }
`;

/** The gate: no src/*.ts may say BROKEN. */
const CHECK = `const fs = require("fs"); for (const f of fs.readdirSync("src")) { if (fs.readFileSync("src/" + f, "utf8").includes("BROKEN")) { console.error(f + " is BROKEN"); process.exit(1) } }`;

/** A repository ready for `conductor implement` with scripted agents; `env` adds to the agents' settings. */
export function scriptedRepo(env: Record<string, string> = {}, backlog = SCRIPTED_BACKLOG): string {
  const settings = {
    SCRIPT_EDIT: 'src/{task}.ts=export const done = "{task} attempt {attempt}";',
    SCRIPT_EDIT_T02_1: 'src/T02.ts=BROKEN attempt 1',
    SCRIPT_EDIT_T03: 'src/T03.ts=BROKEN attempt {attempt}',
    SCRIPT_USAGE: '100,20',
    ...env,
  };
  const config = `provider: scripted\nconcurrency: 2\nattempts: 2\nproviders:\n  scripted:\n    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(SCRIPT)}]\n    env: ${JSON.stringify(settings)}\ngates:\n  - { name: test, run: [${JSON.stringify(process.execPath)}, check.js] }\n`;
  return gitdir({ 'conductor.config.yaml': config, 'tasks/BACKLOG.yaml': backlog, 'src/app.ts': 'export {};\n', 'check.js': CHECK, '.gitignore': 'worktrees/\n.conductor/\n' });
}

export interface UiProcess {
  url: string;
  token: string;
  origin: string;
  port: number;
  process: ResultPromise;
}

/** `conductor ui --port 0 [args]` in `cwd`, up and serving; stopped when the test ends. */
export async function startUi(cwd: string, args: string[] = []): Promise<UiProcess> {
  const child = execa(process.execPath, [BIN, 'ui', '--port', '0', ...args], { cwd, reject: false, stdin: 'ignore' });
  onTestFinished(async () => {
    child.kill('SIGTERM');
    await child;
  });
  let out = '';
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`conductor ui printed no URL in 20 s: ${out}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^dashboard: (\S+)$/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void child.then((r) => reject(new Error(`conductor ui exited (${r.exitCode}): ${r.stdout}${r.stderr}`)));
  });
  const url = new URL(line);
  return { url: line, token: new URLSearchParams(url.hash.slice(1)).get('token')!, origin: url.origin, port: Number(url.port), process: child };
}
