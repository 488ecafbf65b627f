import type { DeclaredCommand } from './command-args.ts';

export type { DeclaredCommand } from './command-args.ts';
export type { Command, CommandIO } from './command-io.ts';

/**
 * Every `drone-gogs` command by the name typed after `drone-gogs`, loaded when it runs: `pipeline` and `exec`
 * need neither the store nor the server.
 */
export const COMMANDS: Readonly<Record<string, () => Promise<DeclaredCommand>>> = {
  serve: async () => (await import('./serve.ts')).serveCommand,
  migrate: async () => (await import('./migrate.ts')).migrateCommand,
  repo: async () => (await import('./repo.ts')).repoCommand,
  hooks: async () => (await import('./hooks.ts')).hooksCommand,
  pipeline: async () => (await import('./pipeline.ts')).pipelineCommand,
  exec: async () => (await import('./exec.ts')).execCommand,
  engines: async () => (await import('./engines.ts')).enginesCommand,
  build: async () => (await import('./build.ts')).buildCommand,
  log: async () => (await import('./log.ts')).logCommand,
  secret: async () => (await import('./secret.ts')).secretCommand,
  audit: async () => (await import('./audit.ts')).auditCommand,
  token: async () => (await import('./token.ts')).tokenCommand,
  identity: async () => (await import('./identity.ts')).identityCommand,
  rotate: async () => (await import('./rotate.ts')).rotateCommand,
};
