/**
 * Every command and subcommand of `drone-gogs`, walked from the CLI's own table, so that a new one is covered
 * without touching this file: `--help`/`-h` print its usage and do nothing else; a bad command line gets one line
 * naming what is wrong, then the usage, exit 2, and never a stack trace.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../sidecar/cli.ts';
import { COMMANDS, type DeclaredCommand } from '../../sidecar/commands/index.ts';
import { runCommand } from '../support/run-command.ts';
import { makeTempDir } from '../support/temp-dir.ts';

interface Declared {
  path: string[];
  command: DeclaredCommand;
}

async function everyCommand(): Promise<Declared[]> {
  const walk = (path: string[], command: DeclaredCommand): Declared[] => [
    { path, command },
    ...Object.entries(command.subcommands ?? {}).flatMap(([name, sub]) => walk([...path, name], sub)),
  ];
  const loaded = await Promise.all(
    Object.entries(COMMANDS).map(async ([name, load]) => walk([name], await load())),
  );
  return loaded.flat();
}

/** The command a command line reaches: as deep into the subcommands as its words go. */
function reached(commands: Declared[], args: string[]): DeclaredCommand {
  const matches = commands.filter(({ path }) => path.every((word, index) => args[index] === word));
  const deepest = matches.sort((a, b) => b.path.length - a.path.length)[0];
  if (deepest === undefined) throw new Error(`no command for ${args.join(' ')}`);
  return deepest.command;
}

const STACK_FRAME = /^\s+at /m;

describe('drone-gogs usage, for every command', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let commands: Declared[];
  beforeEach(async () => {
    dir = await makeTempDir();
    commands = await everyCommand();
  });
  afterEach(() => dir.remove());

  // A serve that did start would stop at once rather than hang the test; its data dir would stay as evidence.
  const cli = (args: string[]) =>
    runCommand(runCli, args, {
      cwd: dir.path,
      env: { DRONE_GOGS_DATA_DIR: join(dir.path, 'data'), DRONE_GOGS_LISTEN: '127.0.0.1:0' },
      interrupted: AbortSignal.abort('SIGTERM'),
    });

  it('walks every command and subcommand the CLI lists', () => {
    expect(commands.map(({ path }) => path.join(' '))).toEqual(
      expect.arrayContaining([
        'serve',
        'migrate',
        'repo',
        'repo enable',
        'repo disable',
        'repo repair',
        'repo list',
        'repo set',
        'build',
        'build ls',
        'build info',
        'log',
        'log view',
        'hooks',
        'hooks rotate',
        'hooks reconcile',
        'pipeline',
        'pipeline lint',
        'pipeline plan',
        'exec',
        'engines',
      ]),
    );
  });

  it('--help and -h print the usage on stdout, exit 0, and open, create or serve nothing', async () => {
    for (const { path, command } of commands) {
      for (const flag of ['--help', '-h']) {
        const result = await cli([...path, flag]);
        expect({ args: [...path, flag], ...result }).toEqual({
          args: [...path, flag],
          code: 0,
          stdout: command.usage,
          stderr: '',
        });
        expect(result.stdout).toMatch(new RegExp(`^Usage:(\\n {2}| )drone-gogs ${path.join(' ')}\\b`));
      }
    }
    expect(await readdir(dir.path)).toEqual([]);
  });

  it('an unknown option: one line naming it, then the usage on stderr, exit 2, no stack', async () => {
    for (const { path, command } of commands) {
      const result = await cli([...path, '--bogus']);
      expect({ args: [...path, '--bogus'], ...result }).toEqual({
        args: [...path, '--bogus'],
        code: 2,
        stdout: '',
        stderr: `drone-gogs: unknown option --bogus\n\n${command.usage}`,
      });
      expect(result.stderr).not.toMatch(STACK_FRAME);
    }
    const top = await cli(['--bogus']);
    expect(top.code).toBe(2);
    expect(top.stderr.split('\n')[0]).toBe('drone-gogs: unknown option --bogus');
    expect(await readdir(dir.path)).toEqual([]);
  });

  it('a missing, extra or badly formed argument: one line naming it, then the usage, exit 2', async () => {
    for (const [args, message] of [
      [['repo', 'enable'], 'repo enable needs OWNER/NAME'],
      [['repo', 'enable', 'octo/app', 'extra'], 'unexpected argument "extra"'],
      [['serve', 'now'], 'unexpected argument "now"'],
      [['engines', 'extra'], 'unexpected argument "extra"'],
      [['pipeline', 'plan', '.drone.yml', '--event'], '--event needs a value'],
      [['pipeline', 'plan', '.drone.yml', '--event', 'push'], 'pipeline plan needs --event and --branch'],
      [['repo', 'list', '--json=yes'], '--json takes no value'],
      [['exec', '--timeout', 'soon'], '--timeout must be a positive number of minutes'],
      [['exec', '-x'], 'unknown option -x'],
      [['repo', 'set', 'octo/app', '--trusted=maybe'], '--trusted takes true or false'],
      [['repo', 'frobnicate'], 'unknown repo action "frobnicate"'],
      [['hooks'], 'hooks needs one of rotate, reconcile'],
    ] as const) {
      const result = await cli([...args]);
      expect({ args, ...result }).toEqual({
        args,
        code: 2,
        stdout: '',
        stderr: `drone-gogs: ${message}\n\n${reached(commands, [...args]).usage}`,
      });
      expect(result.stderr).not.toMatch(STACK_FRAME);
    }
    expect(await readdir(dir.path)).toEqual([]);
  });
});
