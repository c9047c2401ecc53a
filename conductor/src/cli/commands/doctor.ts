// conductor doctor [--json]
import { runDoctor, type DoctorReport } from '../../doctor/run-doctor.js';
import { describeProven } from '../../agents/providers/proven-range.js';
import { formatProblem } from '../../problems.js';
import { BWRAP_HINT } from '../../process/sandbox.js';
import { paintFor, plain, type Paint } from '../../util/colors.js';
import type { CommandContext } from '../context.js';
import { repoRootOf } from './shared.js';

export async function run(ctx: CommandContext): Promise<number> {
  const repoRoot = repoRootOf(ctx);
  const report = await runDoctor({ repoRoot, cwd: ctx.cwd, ...(typeof ctx.options.config === 'string' ? { configPath: ctx.options.config } : {}) });
  const code = !report.config.valid ? 2 : report.canRun ? 0 : 1;
  if (ctx.options.json) ctx.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else ctx.stdout.write(renderDoctor(report, paintFor(ctx.stdout.color)));
  return code;
}

/** `paint` colours each result on a terminal: ok green, no red, the verdict likewise. */
export function renderDoctor(report: DoctorReport, paint: Paint = plain): string {
  const lines: string[] = [];
  const row = (label: string, text: string) => lines.push(`${label.padEnd(10)} ${text}`);
  const mark = (ok: boolean) => (ok ? paint.green('ok  ') : paint.red('no  '));

  row('git', report.git.ok ? `${mark(report.git.worktrees)}${report.git.version}${report.git.note ? ` — ${report.git.note}` : ', worktrees supported'}` : `${mark(false)} ${report.git.note}`);
  report.providers.forEach((p, i) => {
    const proven = p.proven ? ` — ${describeProven(p.proven)}` : '';
    const what = p.available ? `${p.version ?? ''}${p.path ? ` ${p.path}` : ''}${p.note ? ` (${p.note})` : ''}${proven}`.trim() : (p.note ?? 'not available');
    row(i === 0 ? 'providers' : '', `${mark(p.available)}${p.name.padEnd(10)} ${what}`);
  });
  const set = report.keys.filter((k) => k.set).map((k) => k.name);
  row('keys', set.length > 0 ? `set: ${set.join(', ')}` : 'none of the known key variables is set (a CLI may still be logged in)');
  row('gates', report.gates.gates.length > 0 ? `${report.gates.gates.map((g) => `${g.name}: ${g.run.join(' ')}`).join(' · ')} (${report.gates.source})` : `none (${report.gates.source}); set gates in conductor.config.yaml`);
  row('config', `${mark(report.config.valid)} ${report.config.source}`);
  for (const problem of report.config.problems) lines.push(`           ${paint.red(formatProblem(problem))}`);
  report.routes.forEach((r, i) => row(i === 0 ? 'routing' : '', `${mark(r.available)}${r.role.padEnd(13)} → ${r.provider}${r.model ? ` (${r.model})` : ''}`));
  const sb = report.sandbox;
  const sbText = sb.works ? `bwrap ${sb.version ?? ''} ${sb.path ?? ''}`.replace(/\s+/g, ' ').trim() : `${sb.error ?? 'bwrap does not work'}`;
  row('sandbox', `${mark(sb.works)}${sbText}${sb.required ? ' (required: sandbox: bwrap)' : ''}`);
  row('', `runs here: ${sb.uses}`);
  lines.push('');
  if (!report.config.valid) lines.push(paint.red('fix conductor.config.yaml first (exit 2)'));
  else if (report.canRun) lines.push(paint.green(`ready: conductor can run here${report.defaultProvider ? ` (default provider: ${report.defaultProvider})` : ''}`));
  else {
    const missing = [...new Set(report.routes.filter((r) => !r.available).map((r) => r.provider))];
    if (sb.required && !sb.works) lines.push(paint.red(`not ready: the config asks for sandbox: bwrap, but ${sb.error ?? 'bwrap does not work'}; ${BWRAP_HINT}.`));
    const why = !report.git.ok || !report.git.worktrees ? (report.git.note ?? 'git is not usable') : `not available: ${missing.join(', ')}`;
    if (missing.length > 0 || !report.git.ok || !report.git.worktrees) lines.push(paint.red(`not ready: ${why}. Install an agent CLI (npm install -g opencode-ai, @anthropic-ai/claude-code, @openai/codex or @google/gemini-cli) or set provider in conductor.config.yaml.`));
  }
  return `${lines.join('\n')}\n`;
}
