import { COMMANDS, type CommandIO } from './commands/index.ts';
import { isAppError } from './core/index.ts';
import { VERSION } from './version.ts';

const USAGE = `drone-gogs ${VERSION}: CI for Gogs

Usage: drone-gogs <command> [options]

  serve                         run the sidecar (webhooks, API, workers)
  migrate                       apply database migrations
  repo enable OWNER/NAME        register the Gogs webhook and start building the repository
  repo disable OWNER/NAME       remove the webhook; keep the history
  repo repair [OWNER/NAME]      check and fix the webhooks of enabled repositories
  repo list                     the repositories drone-gogs knows
  repo set OWNER/NAME ...       trust, timeout, pipeline file, approval, auto-cancel, throttle
  repo deliveries OWNER/NAME    the webhooks Gogs sent and what became of each
  build ls OWNER/NAME           the builds of a repository, newest first
  build info OWNER/NAME NUMBER  one build: its stages, steps and provenance
  build restart|cancel OWNER/NAME NUMBER
                                run a build again; stop a build
  build approve|decline OWNER/NAME NUMBER [STAGE]
                                let a blocked build run, or refuse it
  log view OWNER/NAME B S N     a step's log (--follow until it ends)
  secret add|update|ls|rm (OWNER/NAME | --org ORG) ...
                                the secrets pipelines read with from_secret
  hooks rotate [OWNER/NAME]     give webhooks new secrets (the old one stays valid for a grace period)
  hooks reconcile               look for pushes Gogs did not deliver, once
  pipeline lint FILE            check a .drone.yml
  pipeline plan FILE ...        show what a .drone.yml would run for an event
  exec [FILE]                   run a .drone.yml on the configured Docker engine, this folder as the workspace
  engines                       check the Docker engines builds run on
  identity provider add|ls|rm   the OpenID Connect providers people sign in with
  token create|ls|revoke        API tokens of Gogs users
  rotate session-keys|gogs-token|secret-key
                                new session keys, the sidecar's Gogs token, the key secrets are stored with
  audit export|verify           the tamper-evident audit log

\`drone-gogs COMMAND --help\` shows the usage of one. Settings come from DRONE_GOGS_* environment variables;
see README.md.
`;

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
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    const problem = name.startsWith('-')
      ? `unknown option ${name.split('=')[0]}`
      : `unknown command "${name}"`;
    io.stderr(`drone-gogs: ${problem}\n\n${USAGE}`);
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
