import { LOCAL_ADMIN } from '../core/index.ts';
import { defineCommand, defineCommandGroup } from './command-args.ts';
import { withServices } from './with-services.ts';

const rotate = defineCommand({
  name: 'hooks rotate',
  args: '[OWNER/NAME]',
  summary: 'new webhook secrets for one or every enabled repository',
  details: '  The previous secret is still accepted for DRONE_GOGS_HOOK_SECRET_GRACE_SECONDS.\n',
  positionals: ['[OWNER/NAME]'],
  run: ({ positionals: [fullName] }, io) =>
    withServices(io, async (services) => {
      const rotated = await services.repos.rotateHookSecrets(LOCAL_ADMIN, fullName);
      if (rotated.length === 0) io.stdout('no enabled repositories\n');
      for (const { repo, hookId } of rotated) io.stdout(`${repo.fullName}: new secret, webhook #${hookId}\n`);
      return 0;
    }),
});

const reconcile = defineCommand({
  name: 'hooks reconcile',
  summary: 'look for pushes Gogs did not deliver, once',
  run: (_input, io) =>
    withServices(io, async (services) => {
      const report = await services.reconciler().runOnce();
      io.stdout(
        `checked ${report.repos} repositories; recorded ${report.synthesized.length} missed push(es)\n`,
      );
      for (const missed of report.synthesized) io.stdout(`  ${missed.repo} ${missed.branch} ${missed.sha}\n`);
      for (const failure of report.failed) io.stderr(`  ${failure.repo}: ${failure.error}\n`);
      return report.failed.length > 0 ? 1 : 0;
    }),
});

/** `drone-gogs hooks …`: secret rotation and reconciliation on demand. */
export const hooksCommand = defineCommandGroup({
  name: 'hooks',
  summary: 'webhook secrets and reconciliation',
  subcommands: { rotate, reconcile },
});
