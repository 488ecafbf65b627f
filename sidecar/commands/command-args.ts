/**
 * How every command declares its usage, options and arguments, so that all of them answer `--help`/`-h` with
 * their usage (exit 0, nothing else done) and a bad command line with one line naming what is wrong, then the
 * usage (exit 2), never a stack trace.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import type { Command, CommandIO } from './command-io.ts';

/** A command that knows its usage; a group (`repo`, `hooks`, `pipeline`) also lists its subcommands. */
export type DeclaredCommand = Command & {
  /** As typed after `drone-gogs`: `repo enable`. */
  readonly commandName: string;
  /** The name with its arguments and options: `repo enable OWNER/NAME [--force]`. */
  readonly synopsis: string;
  readonly summary: string;
  /** What `--help` prints. */
  readonly usage: string;
  readonly subcommands?: Readonly<Record<string, DeclaredCommand>>;
};

type Parsed<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>
>;

/** What a declared command runs with: its command line, checked against its declaration. */
export interface CommandInput<O extends ParseArgsOptionsConfig> {
  values: Parsed<O>['values'];
  positionals: string[];
  /** Prints `drone-gogs: message`, then the usage, on stderr; returns the exit code 2 to return. */
  usageError(message: string): number;
}

export interface CommandSpec<O extends ParseArgsOptionsConfig> {
  /** As typed after `drone-gogs`: `repo enable`. */
  name: string;
  /** Arguments and options as the usage shows them: `OWNER/NAME [--force]`. */
  args?: string;
  /** One line: what it does. */
  summary: string;
  /** Lines printed under the summary, such as one per option. */
  details?: string;
  options?: O;
  /** Names of the positional arguments, `[NAME]` when optional; more than these are refused. */
  positionals?: readonly string[];
  run(input: CommandInput<O>, io: CommandIO): Promise<number>;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;
const PARSE_ERRORS = new Set([
  'ERR_PARSE_ARGS_UNKNOWN_OPTION',
  'ERR_PARSE_ARGS_INVALID_OPTION_VALUE',
  'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL',
]);

/** A command with options and positional arguments, parsed strictly by node:util's parseArgs. */
export function defineCommand<const O extends ParseArgsOptionsConfig = Record<never, never>>(
  spec: CommandSpec<O>,
): DeclaredCommand {
  const synopsis = spec.args ? `${spec.name} ${spec.args}` : spec.name;
  const usage = `Usage: drone-gogs ${synopsis}\n  ${spec.summary}\n${spec.details ? `\n${spec.details}` : ''}`;
  const names = spec.positionals ?? [];
  const required = names.filter((name) => !name.startsWith('['));
  const options: ParseArgsOptionsConfig = { ...spec.options, ...HELP };
  const command: Command = async (args, io) => {
    const usageError = (message: string) => printUsageError(io, message, usage);
    const parsed = parseStrictly(args, options, names.length > 0);
    if (typeof parsed === 'string') return usageError(parsed);
    if (parsed.values.help) {
      io.stdout(usage);
      return 0;
    }
    const { positionals } = parsed;
    const missing = required[positionals.length];
    if (missing !== undefined) return usageError(`${spec.name} needs ${missing}`);
    const extra = positionals[names.length];
    if (extra !== undefined) return usageError(`unexpected argument "${extra}"`);
    return spec.run({ values: parsed.values as Parsed<O>['values'], positionals, usageError }, io);
  };
  return Object.assign(command, { commandName: spec.name, synopsis, summary: spec.summary, usage });
}

/** A command whose first argument names one of its subcommands: `repo enable`, `hooks rotate`. */
export function defineCommandGroup(spec: {
  name: string;
  summary: string;
  subcommands: Record<string, DeclaredCommand>;
}): DeclaredCommand {
  const actions = Object.keys(spec.subcommands);
  const lines = Object.values(spec.subcommands)
    .map((sub) => `  drone-gogs ${sub.synopsis}\n      ${sub.summary}\n`)
    .join('');
  const usage = `Usage:\n${lines}\n\`drone-gogs ${spec.name} ACTION --help\` shows one action and its options.\n`;
  const command: Command = async (args, io) => {
    const [action, ...rest] = args;
    const usageError = (message: string) => printUsageError(io, message, usage);
    if (action === '--help' || action === '-h') {
      io.stdout(usage);
      return 0;
    }
    if (action === undefined) return usageError(`${spec.name} needs one of ${actions.join(', ')}`);
    if (action.startsWith('-')) return usageError(`unknown option ${action.split('=')[0]}`);
    const sub = Object.hasOwn(spec.subcommands, action) ? spec.subcommands[action] : undefined;
    if (sub === undefined) return usageError(`unknown ${spec.name} action "${action}"`);
    return sub(rest, io);
  };
  return Object.assign(command, {
    commandName: spec.name,
    synopsis: `${spec.name} ${actions.join('|')}`,
    summary: spec.summary,
    usage,
    subcommands: spec.subcommands,
  });
}

function printUsageError(io: CommandIO, message: string, usage: string): number {
  io.stderr(`drone-gogs: ${message}\n\n${usage}`);
  return 2;
}

/** The parsed command line, or what is wrong with it. */
function parseStrictly(args: string[], options: ParseArgsOptionsConfig, allowPositionals: boolean) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (!(error instanceof TypeError) || typeof code !== 'string' || !PARSE_ERRORS.has(code)) throw error;
    return describeParseError(args, options, code) ?? error.message;
  }
}

/**
 * Names what the strict parse refused. The tokens of a lenient parse come in the order the strict one checks
 * them, so the first bad token is the one it threw on.
 */
function describeParseError(
  args: string[],
  options: ParseArgsOptionsConfig,
  code: string,
): string | undefined {
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'positional') {
      if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument "${token.value}"`;
      continue;
    }
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (option === undefined) return `unknown option ${token.rawName}`;
    if (option.type === 'string' && token.value === undefined) return `${token.rawName} needs a value`;
    if (option.type === 'boolean' && token.value !== undefined) return `${token.rawName} takes no value`;
  }
  return undefined;
}
