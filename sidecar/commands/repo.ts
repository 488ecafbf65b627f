import { parseArgs } from 'node:util';
import type { Repo, RepoChange } from '../core/index.ts';
import type { HookUrlFinding } from '../webhooks/index.ts';
import type { Command, CommandIO } from './command-io.ts';
import { textTable } from './text-table.ts';
import { withServices } from './with-services.ts';

const USAGE = `Usage:
  drone-gogs repo enable OWNER/NAME [--force]   register the webhook (replacing an older one of ours)
  drone-gogs repo disable OWNER/NAME            remove the webhook; builds and history stay
  drone-gogs repo repair [OWNER/NAME]           check every enabled repository's webhook and fix it
  drone-gogs repo list [--json]                 the repositories drone-gogs knows
  drone-gogs repo set OWNER/NAME [--trusted=true|false] [--timeout=MINUTES|default] [--config=PATH]
                                                what its builds may do, how long a stage may run,
                                                where its pipeline file is
`;

/** A week: longer stages are a mistake, not a build. */
const MAX_TIMEOUT_MINUTES = 7 * 24 * 60;

/** `drone-gogs repo …`: which Gogs repositories send their events to drone-gogs. */
export const repoCommand: Command = async (args, io) => {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      trusted: { type: 'string' },
      timeout: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
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
    case 'set': {
      if (!fullName) return usageError(io, 'repo set needs OWNER/NAME');
      const change = settingsChange(values);
      if (typeof change === 'string') return usageError(io, change);
      if (Object.keys(change).length === 0)
        return usageError(io, 'repo set needs --trusted, --timeout or --config');
      return withServices(io, async (services) => {
        const repo = await services.stores.repos.findByFullName(fullName);
        if (repo === null) {
          io.stderr(
            `drone-gogs: ${fullName} is not known yet; enable it first with \`drone-gogs repo enable ${fullName}\`\n`,
          );
          return 1;
        }
        const updated = await services.stores.repos.update(repo.id, change, repo.version);
        if (change.trusted === true && !repo.trusted) {
          io.stderr(
            `warning: pipelines of ${updated.fullName} may now run privileged containers, mount host paths and devices, and use the host's network\n`,
          );
        }
        const timeout = updated.timeoutMinutes ?? services.config.runner.stageTimeoutMs / 60_000;
        io.stdout(
          `${updated.fullName}: ${updated.trusted ? 'trusted' : 'not trusted'}, stage timeout ${timeout} min${
            updated.timeoutMinutes === null ? ' (the default)' : ''
          }, pipeline file ${updated.configPath}\n`,
        );
        return 0;
      });
    }
    default:
      return usageError(io, `unknown repo action "${action}"`);
  }
};

/** The change `repo set` asks for, or what is wrong with its options. */
function settingsChange(values: {
  trusted?: string;
  timeout?: string;
  config?: string;
}): RepoChange | string {
  const change: RepoChange = {};
  if (values.trusted !== undefined) {
    if (values.trusted !== 'true' && values.trusted !== 'false') return '--trusted takes true or false';
    change.trusted = values.trusted === 'true';
  }
  if (values.timeout !== undefined) {
    const minutes = Number(values.timeout);
    if (values.timeout === 'default') change.timeoutMinutes = null;
    else if (/^\d+$/.test(values.timeout) && minutes >= 1 && minutes <= MAX_TIMEOUT_MINUTES)
      change.timeoutMinutes = minutes;
    else return `--timeout takes minutes from 1 to ${MAX_TIMEOUT_MINUTES}, or default`;
  }
  if (values.config !== undefined) {
    const path = values.config;
    const inside = path !== '' && !path.startsWith('/') && !path.split('/').includes('..');
    if (!inside || /[\0-\x1f]/.test(path))
      return '--config takes a path inside the repository, e.g. .drone.yml or ci/drone.yml';
    change.configPath = path;
  }
  return change;
}

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
    timeoutMinutes: repo.timeoutMinutes,
    configPath: repo.configPath,
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
    repo.trusted ? 'trusted' : '-',
    repo.hookId === null ? '-' : `#${repo.hookId}`,
  ]);
  return textTable(['REPOSITORY', 'STATE', 'VISIBILITY', 'TRUSTED', 'HOOK'], rows);
}
