import type { Command, CommandIO } from './commands/command-io.ts';
import { migrateCommand } from './commands/migrate.ts';
import { serveCommand } from './commands/serve.ts';
import { isAppError } from './core/index.ts';
import { VERSION } from './main.ts';

const USAGE = `drone-gogs ${VERSION}: CI for Gogs

Usage: drone-gogs <command> [options]

  serve                         run the sidecar (webhooks, API, workers)
  migrate                       apply database migrations
  repo enable OWNER/NAME        register the Gogs webhook and start building the repository
  repo disable OWNER/NAME       remove the webhook; keep the history
  repo repair [OWNER/NAME]      check and fix the webhooks of enabled repositories
  repo list                     the repositories drone-gogs knows
  repo set OWNER/NAME ...       trust, stage timeout, pipeline file of a repository
  hooks rotate [OWNER/NAME]     give webhooks new secrets (the old one stays valid for a grace period)
  pipeline lint FILE            check a .drone.yml
  pipeline plan FILE ...        show what a .drone.yml would run for an event
  exec [FILE]                   run a .drone.yml in the local Docker engine, this folder as the workspace
  engines                       check the Docker engines builds run on

Settings come from DRONE_GOGS_* environment variables; see README.md.
`;

const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => serveCommand,
  migrate: async () => migrateCommand,
  repo: async () => (await import('./commands/repo.ts')).repoCommand,
  hooks: async () => (await import('./commands/hooks.ts')).hooksCommand,
  pipeline: async () => (await import('./commands/pipeline.ts')).pipelineCommand,
  exec: async () => (await import('./commands/exec.ts')).execCommand,
  engines: async () => (await import('./commands/engines.ts')).enginesCommand,
};

export async function runCli(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === 'version' || name === '--version') {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr(`drone-gogs: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(args, io);
  } catch (error) {
    if (isAppError(error)) {
      io.stderr(`drone-gogs: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** Runs the command line of this process. */
export async function main(): Promise<void> {
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
    interrupted: onFirstSignal,
  });
}

let interruption: AbortController | null = null;

function onFirstSignal(): AbortSignal {
  if (interruption === null) {
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      controller.abort(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    interruption = controller;
  }
  return interruption.signal;
}

if (import.meta.main) await main();
