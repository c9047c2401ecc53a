// Pure argument parsing over node's util.parseArgs: argv in, a decision out.
import { parseArgs } from 'node:util';
import { ConductorError, messageOf } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { COMMANDS, GLOBAL_OPTIONS, usage, type CommandSpec, type OptionSpec } from './command-table.js';

export type ParsedCLI =
  | { kind: 'version' }
  | { kind: 'help'; command?: CommandSpec }
  | { kind: 'run'; command: CommandSpec; args: string[]; options: Record<string, string | boolean | undefined>; verbose: boolean };

export function parseCLI(argv: readonly string[]): ParsedCLI {
  const first = argv.find((arg) => !arg.startsWith('-'));
  const command = first === undefined ? undefined : COMMANDS.find((c) => c.name === first);
  if (first !== undefined && !command) {
    const guess = didYouMean(first, COMMANDS.map((c) => c.name));
    throw new ConductorError('USAGE', `unknown command "${first}"`, { hint: guess ? `did you mean "${guess}"? Run conductor --help for the list` : 'run conductor --help for the list of commands' });
  }

  const specs = [...GLOBAL_OPTIONS, ...(command?.options ?? [])];
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: toParseArgsOptions(specs), allowPositionals: true, strict: true });
  } catch (error) {
    throw new ConductorError('USAGE', usageMessage(error, specs), { hint: `run conductor ${command ? `${command.name} ` : ''}--help for the options` });
  }
  const options = parsed.values as Record<string, string | boolean | undefined>;
  if (options.help) return command ? { kind: 'help', command } : { kind: 'help' };
  if (!command) return options.version ? { kind: 'version' } : { kind: 'help' };
  if (options.version) throw new ConductorError('USAGE', '--version is not an option of a command', { hint: 'run conductor --version' });

  const args = parsed.positionals.slice(1);
  if (args.length > command.maxArgs) {
    throw new ConductorError('USAGE', `too many arguments for ${command.name}: ${args.slice(command.maxArgs).join(' ')}`, { hint: `usage: conductor ${usage(command)}` });
  }
  for (const spec of specs) {
    const value = options[spec.name];
    if (spec.choices && typeof value === 'string' && !spec.choices.includes(value)) {
      throw new ConductorError('USAGE', `Expected \`--${spec.name}\` to be one of ${spec.choices.join(', ')}, got \`${value}\``);
    }
  }
  return { kind: 'run', command, args, options, verbose: options.verbose === true };
}

function toParseArgsOptions(specs: readonly OptionSpec[]) {
  const out: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const spec of specs) out[spec.name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  return out;
}

function usageMessage(error: unknown, specs: readonly OptionSpec[]): string {
  const message = messageOf(error);
  const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message);
  if (unknown?.[1]) {
    const guess = didYouMean(unknown[1].replace(/^-+/, ''), specs.map((s) => s.name));
    return `unknown option ${unknown[1]}${guess ? ` (did you mean --${guess}?)` : ''}`;
  }
  const missing = /Option '(?:-\w, )?(--[^ ']+)[^']*' argument missing/.exec(message);
  if (missing?.[1]) return `option ${missing[1]} needs a value`;
  return message.split('\n')[0] ?? message;
}
