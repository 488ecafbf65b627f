import { type HookUrlFinding, LOCAL_ADMIN, type RepoSettingsChange, type RepoView } from '../core/index.ts';
import { MAX_TIMEOUT_MINUTES, settingsProblem } from '../repos/index.ts';
import { defineCommand, defineCommandGroup } from './command-args.ts';
import type { CommandIO } from './command-io.ts';
import { textTable } from './text-table.ts';
import { withServices } from './with-services.ts';

const enable = defineCommand({
  name: 'repo enable',
  args: 'OWNER/NAME [--force]',
  summary: 'register the webhook (replacing an older one of ours) and start building the repository',
  details: '  --force   register it even when Gogs could not deliver to the hook URL\n',
  options: { force: { type: 'boolean', default: false } },
  positionals: ['OWNER/NAME'],
  run: ({ values, positionals: [fullName = ''] }, io) =>
    withServices(io, async (services) => {
      const result = await services.repos.enable(LOCAL_ADMIN, fullName, { force: values.force });
      printFindings(io, result.findings);
      const replaced = result.replacedHookIds.length
        ? ` (replaced hook ${result.replacedHookIds.map((id) => `#${id}`).join(', ')})`
        : '';
      io.stdout(
        `enabled ${result.repo.fullName}: webhook #${result.hookId} → ${result.hookUrl}${replaced}\n`,
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
      const result = await services.repos.disable(LOCAL_ADMIN, fullName);
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
      const results = await services.repos.repair(LOCAL_ADMIN, fullName);
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
      const repos = await services.repos.list(LOCAL_ADMIN);
      if (values.json) io.stdout(`${JSON.stringify(repos, null, 2)}\n`);
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
      const { repo, warnings, effectiveTimeoutMinutes } = await services.repos.changeSettings(
        LOCAL_ADMIN,
        fullName,
        change,
      );
      for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
      io.stdout(
        `${repo.fullName}: ${repo.trusted ? 'trusted' : 'not trusted'}, stage timeout ${effectiveTimeoutMinutes} min${
          repo.timeoutMinutes === null ? ' (the default)' : ''
        }, pipeline file ${repo.configPath}\n`,
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

/** The change `repo set` asks for, or what is wrong with its options (checked as the service will). */
function settingsChange(values: {
  trusted?: string;
  timeout?: string;
  config?: string;
}): RepoSettingsChange | string {
  const change: RepoSettingsChange = {};
  if (values.trusted !== undefined) {
    if (values.trusted !== 'true' && values.trusted !== 'false') return '--trusted takes true or false';
    change.trusted = values.trusted === 'true';
  }
  if (values.timeout !== undefined)
    change.timeoutMinutes =
      values.timeout === 'default'
        ? null
        : /^\d+$/.test(values.timeout)
          ? Number(values.timeout)
          : Number.NaN;
  if (values.config !== undefined) change.configPath = values.config;
  return settingsProblem(change) ?? change;
}

function printFindings(io: CommandIO, findings: HookUrlFinding[]): void {
  for (const finding of findings) {
    io.stderr(`${finding.severity}: ${finding.problem}\n  fix: ${finding.fix}\n`);
  }
}

function formatTable(repos: RepoView[]): string {
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
