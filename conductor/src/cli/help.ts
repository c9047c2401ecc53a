// --help text, generated from the command table.
import { COMMANDS, GLOBAL_OPTIONS, usage, type CommandSpec, type OptionSpec } from './command-table.js';
import { docPath } from '../paths.js';

export function renderHelp(version: string, command?: CommandSpec): string {
  if (command) {
    return [
      `Usage: conductor ${usage(command)} [options]`,
      '',
      `${capitalize(command.summary)}.`,
      '',
      'Options:',
      ...optionLines([...command.options, ...GLOBAL_OPTIONS.filter((o) => o.name !== 'version')]),
      '',
    ].join('\n');
  }
  const width = Math.max(...COMMANDS.map((c) => usage(c).length));
  return [
    `conductor ${version} — turns a feature request into reviewed, merged code with AI coding agents`,
    '',
    'Usage: conductor <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${usage(c).padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Examples:',
    '  conductor demo                      # the whole pipeline on a bundled example: no agent, no key',
    '  conductor init                      # a commented config, role prompts and a feature-request template',
    '  conductor run feature-request.md    # plan, backlog (pause to review tasks/BACKLOG.yaml), implement, review',
    '  conductor resume                    # go on after a checkpoint, a failure or Ctrl-C',
    '  conductor status --watch            # where the run is, and what to type next',
    '',
    'Run conductor <command> --help for a command\'s options. Exit codes: 0 done, 1 failed, 2 bad input, 3 locked, 130 interrupted.',
    `Documentation: ${docPath('README.md')}`,
    '',
  ].join('\n');
}

function optionLines(options: readonly OptionSpec[]): string[] {
  const label = (o: OptionSpec) => `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.valueName ? ` ${o.valueName}` : ''}`;
  const width = Math.max(...options.map((o) => label(o).length));
  return options.map((o) => `  ${label(o).padEnd(width)}  ${o.description}`);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
