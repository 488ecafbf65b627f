import type { Repo, RepoChange } from '../core/index.ts';
import type { HookUrlFinding } from '../webhooks/index.ts';
import { defineCommand, defineCommandGroup } from './command-args.ts';
import type { CommandIO } from './command-io.ts';
import { textTable } from './text-table.ts';
import { withServices } from './with-services.ts';

/** A week: longer stages are a mistake, not a build. */
const MAX_TIMEOUT_MINUTES = 7 * 24 * 60;

const enable = defineCommand({
  name: 'repo enable',
  args: 'OWNER/NAME [--force]',
  summary: 'register the webhook (replacing an older one of ours) and start building the repository',
  details: '  --force   register it even when Gogs could not deliver to the hook URL\n',
  options: { force: { type: 'boolean', default: false } },
  positionals: ['OWNER/NAME'],
  run: ({ values, positionals: [fullName = ''] }, io) =>
    withServices(io, async (services) => {
      const result = await services.registrar().enable(fullName, { force: values.force });
      printFindings(io, result.findings);
      const replaced = result.replacedHookIds.length
        ? ` (replaced hook ${result.replacedHookIds.map((id) => `#${id}`).join(', ')})`
        : '';
      io.stdout(
        `enabled ${result.repo.fullName}: webhook #${result.hook.id} → ${result.hook.config.url}${replaced}\n`,
      );
      return 0;
    }),
});

const disable = defineCommand({
  name: 'repo disable',
  args: 'OWNER/NAME',
  summary: 'remove the webhook; builds and history stay',
  positionals: ['OWNER/NAME'],
  run: ({ positionals: [fullName = ''] }, io) =>
    withServices(io, async (services) => {
      const result = await services.registrar().disable(fullName);
      io.stdout(`disabled ${result.repo.fullName}; removed ${result.removedHookIds.length} webhook(s)\n`);
      return 0;
    }),
});

const repair = defineCommand({
  name: 'repo repair',
  args: '[OWNER/NAME]',
  summary: "check every enabled repository's webhook (or this one's) and fix it",
  positionals: ['[OWNER/NAME]'],
  run: ({ positionals: [fullName] }, io) =>
    withServices(io, async (services) => {
      const results = await services.registrar().repair(fullName);
      if (results.length === 0) io.stdout('no enabled repositories\n');
      for (const { repo, actions } of results) {
        io.stdout(`${repo.fullName}: ${actions.length === 0 ? 'webhook healthy' : actions.join('; ')}\n`);
      }
      return 0;
    }),
});

const list = defineCommand({
  name: 'repo list',
  args: '[--json]',
  summary: 'the repositories drone-gogs knows',
  details: '  --json   print JSON instead of a table\n',
  options: { json: { type: 'boolean' } },
  run: ({ values }, io) =>
    withServices(io, async (services) => {
      const repos = await services.stores.repos.list();
      if (values.json) io.stdout(`${JSON.stringify(repos.map(publicView), null, 2)}\n`);
      else io.stdout(formatTable(repos));
      return 0;
    }),
});

const set = defineCommand({
  name: 'repo set',
  args: 'OWNER/NAME [--trusted=true|false] [--timeout=MINUTES|default] [--config=PATH]',
  summary: 'what its builds may do, how long a stage may run, where its pipeline file is',
  details: `  --trusted=true|false       may its pipelines run privileged containers, mount host paths and devices,
                             and use the host's network
  --timeout=MINUTES|default  how long a stage may run (1 to ${MAX_TIMEOUT_MINUTES}), or the server's default
  --config=PATH              its pipeline file, a path inside the repository
`,
  options: { trusted: { type: 'string' }, timeout: { type: 'string' }, config: { type: 'string' } },
  positionals: ['OWNER/NAME'],
  async run({ values, positionals: [fullName = ''], usageError }, io) {
    const change = settingsChange(values);
    if (typeof change === 'string') return usageError(change);
    if (Object.keys(change).length === 0)
      return usageError('repo set needs --trusted, --timeout or --config');
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
  },
});

/** `drone-gogs repo …`: which Gogs repositories send their events to drone-gogs, and their settings. */
export const repoCommand = defineCommandGroup({
  name: 'repo',
  summary: 'the repositories drone-gogs builds',
  subcommands: { enable, disable, repair, list, set },
});

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

function printFindings(io: CommandIO, findings: HookUrlFinding[]): void {
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
