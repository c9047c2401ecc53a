// conductor demo: the whole pipeline on a bundled example, with no agent and
// no key. examples/demo/repo (tiny-kv, a key-value store) is copied into a
// fresh git repository under the system's temp directory, and `conductor run
// feature-request.md --yes` replays the sessions recorded in
// examples/demo/sessions (scripts/record-demo.js): three planners, a backlog
// of five tasks, a retry after a failing test, a review asking for changes,
// a rebase, the merges — with the project's real tests as the gates.
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git } from '../../git/git.js';
import { packageRoot } from '../../paths.js';
import { startRun } from '../../phases/run-pipeline.js';
import type { CommandContext } from '../context.js';
import { implementOptions, reportRun } from './implement-report.js';
import { writeRunReport } from '../../report/write-report.js';
import { configOf, requestFromArgs } from './shared.js';
import { withRun } from './run-support.js';

export async function run(ctx: CommandContext): Promise<number> {
  const started = performance.now();
  const example = join(packageRoot(), 'examples', 'demo');
  const repo = join(await mkdtemp(join(tmpdir(), 'conductor-demo-')), 'tiny-kv');
  await cp(join(example, 'repo'), repo, { recursive: true });
  const g = git(repo);
  await g.raw(['init', '-q', '-b', 'main']);
  await g.raw(['add', '-A']);
  await g.raw(['commit', '-q', '-m', 'tiny-kv: a tiny in-memory key-value store']);

  ctx.stdout.write(
    [
      'conductor demo: the whole pipeline on tiny-kv, a small key-value store, with recorded agent sessions',
      `(no network, no key; the project's own tests run for real as the gates).`,
      `  repository: ${repo}`,
      '  request:    feature-request.md — "Key expiry"',
      '',
      '',
    ].join('\n'),
  );
  const demo: CommandContext = { ...ctx, cwd: repo, args: ['feature-request.md'], options: { yes: true, replay: join(example, 'sessions') } };
  const outcome = await withRun(demo, 'conductor demo', async (phase) => {
    const { request } = await requestFromArgs(demo, 'run', phase.config.budgets.featureRequestBytes);
    return startRun(phase, request, 'feature-request.md', true, implementOptions(demo, phase.config.concurrency));
  });
  const code = reportRun(demo, outcome);
  const config = (await configOf(demo, repo)).config;
  const report = await writeRunReport(repo, config);
  const install = installKind();
  ctx.stdout.write(`\n${report.markdown}\n(the report is also in ${report.path}; tokens are the recorded stand-in agent's own estimates)\n`);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  ctx.stdout.write(
    [
      '',
      `Finished in ${seconds} s. Look around the demo repository:`,
      `  cd ${repo}`,
      '  git log --graph --oneline conductor/key-expiry   # one merge per reviewed task',
      '  ls specs/key-expiry                              # the plan: SPEC, ARCH, QA, PLAN, the backlog',
      '  cat tasks/T02.notes.md tasks/T03.notes.md tasks/T04.notes.md   # the retry, the changes, the rebase',
      `  cat ${report.path}`,
      `  ${install.anywhere} status`,
      `  ${install.anywhere} ui        # the dashboard: open the link it prints (the run, its tasks, a timeline, each task's diff)`,
      '',
      'Now on your own repository, with a real agent CLI (opencode, claude, codex or gemini):',
      ...(install.setup.length > 0 ? install.setup : ['  cd path/to/your-repo']),
      `  ${install.command} doctor${' '.repeat(Math.max(1, 26 - install.command.length))}# which agents and keys conductor finds`,
      `  ${install.command} init${' '.repeat(Math.max(1, 28 - install.command.length))}# role prompts, a commented config, a feature-request.md to fill in`,
      `  ${install.command} run feature-request.md`,
      '',
    ].join('\n'),
  );
  return code;
}

/**
 * How the user reaches conductor, from where this copy is installed: a global install is on PATH, a project's
 * devDependency runs through npx, a clone needs `npm link` once.
 */
export function installKind(root: string = packageRoot()): { anywhere: string; command: string; setup: string[] } {
  const parts = root.split(/[\\/]/);
  const inModules = parts.lastIndexOf('node_modules');
  const bin = `node ${join(root, 'conductor', 'bin', 'conductor.js')}`;
  // npm -g puts packages in <prefix>/lib/node_modules (POSIX): the bin is on PATH already.
  if (inModules > 0 && parts[inModules - 1] === 'lib') return { anywhere: 'conductor', command: 'conductor', setup: [] };
  // A project's dependency: npx finds it inside that project only (elsewhere npx would fetch an unrelated package).
  if (inModules >= 0) return { anywhere: bin, command: 'npx conductor', setup: [`  cd ${parts.slice(0, inModules).join('/') || '/'}   # the project that has conductor as a dependency`] };
  return { anywhere: bin, command: 'conductor', setup: [`  (cd ${root} && npm link)   # once: the conductor command on your PATH`, '  cd path/to/your-repo'] };
}
