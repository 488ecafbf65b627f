import { parseArgs } from 'node:util';
import type { Repo } from '../core/index.ts';
import type { HookUrlFinding } from '../webhooks/index.ts';
import type { Command, CommandIO } from './command-io.ts';
import { withServices } from './with-services.ts';

const USAGE = `Usage:
  drone-gogs repo enable OWNER/NAME [--force]   register the webhook (replacing an older one of ours)
  drone-gogs repo disable OWNER/NAME            remove the webhook; builds and history stay
  drone-gogs repo repair [OWNER/NAME]           check every enabled repository's webhook and fix it
  drone-gogs repo list [--json]                 the repositories drone-gogs knows
`;

/** `drone-gogs repo …`: which Gogs repositories send their events to drone-gogs. */
export const repoCommand: Command = async (args, io) => {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { force: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [action, fullName] = positionals;
  if (values.help || action === undefined) {
    io.stdout(USAGE);
    return values.help ? 0 : 2;
  }
  switch (action) {
    case 'enable':
      if (!fullName) return usageError(io, 'repo enable needs OWNER/NAME');
      return withServices(io, async (services) => {
        const result = await services.registrar().enable(fullName, { force: values.force ?? false });
        printFindings(io, result.findings);
        const replaced = result.replacedHookIds.length
          ? ` (replaced hook ${result.replacedHookIds.map((id) => `#${id}`).join(', ')})`
          : '';
        io.stdout(
          `enabled ${result.repo.fullName}: webhook #${result.hook.id} → ${result.hook.config.url}${replaced}\n`,
        );
        return 0;
      });
    case 'disable':
      if (!fullName) return usageError(io, 'repo disable needs OWNER/NAME');
      return withServices(io, async (services) => {
        const result = await services.registrar().disable(fullName);
        io.stdout(`disabled ${result.repo.fullName}; removed ${result.removedHookIds.length} webhook(s)\n`);
        return 0;
      });
    case 'repair':
      return withServices(io, async (services) => {
        const results = await services.registrar().repair(fullName);
        if (results.length === 0) io.stdout('no enabled repositories\n');
        for (const { repo, actions } of results) {
          io.stdout(`${repo.fullName}: ${actions.length === 0 ? 'webhook healthy' : actions.join('; ')}\n`);
        }
        return 0;
      });
    case 'list':
      return withServices(io, async (services) => {
        const repos = await services.stores.repos.list();
        if (values.json) io.stdout(`${JSON.stringify(repos.map(publicView), null, 2)}\n`);
        else io.stdout(formatTable(repos));
        return 0;
      });
    default:
      return usageError(io, `unknown repo action "${action}"`);
  }
};

function usageError(io: CommandIO, message: string): number {
  io.stderr(`drone-gogs: ${message}\n\n${USAGE}`);
  return 2;
}

export function printFindings(io: CommandIO, findings: HookUrlFinding[]): void {
  for (const finding of findings) {
    io.stderr(`${finding.severity}: ${finding.problem}\n  fix: ${finding.fix}\n`);
  }
}

function publicView(repo: Repo) {
  return {
    fullName: repo.fullName,
    gogsId: repo.gogsId,
    active: repo.active,
    private: repo.private,
    trusted: repo.trusted,
    hookId: repo.hookId,
    hookUrl: repo.hookUrl,
    secretRotatedGraceUntil: repo.previousHookSecretUntil,
  };
}

function formatTable(repos: Repo[]): string {
  if (repos.length === 0) return 'no repositories yet; enable one with `drone-gogs repo enable OWNER/NAME`\n';
  const rows = repos.map((repo) => [
    repo.fullName,
    repo.active ? 'enabled' : 'disabled',
    repo.private ? 'private' : 'public',
    repo.hookId === null ? '-' : `#${repo.hookId}`,
  ]);
  const header = ['REPOSITORY', 'STATE', 'VISIBILITY', 'HOOK'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  return [header, ...rows]
    .map(
      (row) =>
        `${row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}
