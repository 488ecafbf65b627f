import { parseArgs } from 'node:util';
import type { Command } from './command-io.ts';
import { withServices } from './with-services.ts';

const USAGE = `Usage:
  drone-gogs hooks rotate [OWNER/NAME]   new webhook secrets for one or every enabled repository
                                         (the previous secret is accepted for DRONE_GOGS_HOOK_SECRET_GRACE_SECONDS)
  drone-gogs hooks reconcile             look for pushes Gogs did not deliver, once
`;

/** `drone-gogs hooks …`: secret rotation and reconciliation on demand. */
export const hooksCommand: Command = async (args, io) => {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const [action, fullName] = positionals;
  switch (action) {
    case 'rotate':
      return withServices(io, async (services) => {
        const rotated = await services.registrar().rotate(fullName);
        if (rotated.length === 0) io.stdout('no enabled repositories\n');
        for (const { repo, hook } of rotated)
          io.stdout(`${repo.fullName}: new secret, webhook #${hook.id}\n`);
        return 0;
      });
    case 'reconcile':
      return withServices(io, async (services) => {
        const report = await services.reconciler().runOnce();
        io.stdout(
          `checked ${report.repos} repositories; recorded ${report.synthesized.length} missed push(es)\n`,
        );
        for (const missed of report.synthesized)
          io.stdout(`  ${missed.repo} ${missed.branch} ${missed.sha}\n`);
        for (const failure of report.failed) io.stderr(`  ${failure.repo}: ${failure.error}\n`);
        return report.failed.length > 0 ? 1 : 0;
      });
    default:
      io.stderr(action === undefined ? USAGE : `drone-gogs: unknown hooks action "${action}"\n\n${USAGE}`);
      return 2;
  }
};
