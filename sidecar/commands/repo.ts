import {
  APPROVAL_RULES,
  type ApprovalRule,
  type DeliveryView,
  type HookUrlFinding,
  LOCAL_ADMIN,
  MAX_DELIVERY_LIST,
  type RepoSettingsChange,
  type RepoView,
} from '../core/index.ts';
import { MAX_ALLOW_LIST, MAX_THROTTLE, MAX_TIMEOUT_MINUTES, settingsProblem } from '../repos/index.ts';
import { type DeclaredCommand, defineCommand, defineCommandGroup } from './command-args.ts';
import type { CommandIO } from './command-io.ts';
import { terminalJson, terminalText } from './terminal-text.ts';
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

const DEFAULT_DELIVERY_LIST = 20;

/** Switches `repo set` takes bare (on) or as `=true`/`=false`, as Drone's CLI does. */
const SWITCHES = {
  'require-verified-pusher': 'requireVerifiedPusher',
  'ignore-forks': 'ignoreForks',
  'ignore-pull-requests': 'ignorePullRequests',
  'auto-cancel-pushes': 'autoCancelPushes',
  'auto-cancel-pull-requests': 'autoCancelPullRequests',
  'auto-cancel-running': 'autoCancelRunning',
} as const;
type Switch = keyof typeof SWITCHES;

const setOptions = {
  trusted: { type: 'string' },
  timeout: { type: 'string' },
  config: { type: 'string' },
  approval: { type: 'string' },
  'approve-user': { type: 'string', multiple: true },
  'no-approve-user': { type: 'string', multiple: true },
  throttle: { type: 'string' },
  'require-verified-pusher': { type: 'string' },
  'ignore-forks': { type: 'string' },
  'ignore-pull-requests': { type: 'string' },
  'auto-cancel-pushes': { type: 'string' },
  'auto-cancel-pull-requests': { type: 'string' },
  'auto-cancel-running': { type: 'string' },
} as const satisfies Record<Switch, { type: 'string' }> & Record<string, unknown>;

const parsedSet = defineCommand({
  name: 'repo set',
  args: 'OWNER/NAME [--trusted=true|false] [--timeout=MINUTES|default] [--config=PATH] [--approval=RULE] [--approve-user LOGIN] [--no-approve-user LOGIN] [--require-verified-pusher[=false]] [--ignore-forks[=false]] [--ignore-pull-requests[=false]] [--auto-cancel-pushes[=false]] [--auto-cancel-pull-requests[=false]] [--auto-cancel-running[=false]] [--throttle N]',
  summary: 'what its builds may do, whose wait for approval, which are built, cancelled or held back',
  details: `  --trusted=true|false       may its pipelines run privileged containers, mount host paths and devices,
                             and use the host's network
  --timeout=MINUTES|default  how long a stage may run (1 to ${MAX_TIMEOUT_MINUTES}), or the server's default
  --config=PATH              its pipeline file, a path inside the repository
  --approval=RULE            whose builds wait (blocked) until approved: ${APPROVAL_RULES.join(', ')}
                             (forks: pull requests from forks, the default)
  --approve-user LOGIN       a Gogs user whose builds never wait; repeat for more (at most ${MAX_ALLOW_LIST})
  --no-approve-user LOGIN    take a user off that list
  --require-verified-pusher  a push waits unless its pusher signed in through an identity provider (and is
                             in its required groups)
  --ignore-forks             build no pull requests from forks
  --ignore-pull-requests     build no pull requests at all
  --auto-cancel-pushes       a push cancels the older pending builds of its branch
  --auto-cancel-pull-requests  a pull request update cancels its older pending builds
  --auto-cancel-running      auto-cancel also kills the older builds that already run
  --throttle N               stages of the repository that run at once, across every process (0 = no
                             limit, at most ${MAX_THROTTLE})

  Switches are on when given bare and off with =false, e.g. --ignore-forks=false.
`,
  options: setOptions,
  positionals: ['OWNER/NAME'],
  async run({ values, positionals: [fullName = ''], usageError }, io) {
    const change = settingsChange(values);
    if (typeof change === 'string') return usageError(change);
    if (Object.keys(change).length === 0) return usageError('repo set needs at least one setting to change');
    return withServices(io, async (services) => {
      const { repo, warnings, effectiveTimeoutMinutes } = await services.repos.changeSettings(
        LOCAL_ADMIN,
        fullName,
        change,
      );
      for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
      io.stdout(formatSettings(repo, effectiveTimeoutMinutes));
      return 0;
    });
  },
});

/** `repo set` with bare switches read as `=true` (parseArgs takes a string option's value from the next word). */
const set: DeclaredCommand = Object.assign(
  (args: string[], io: CommandIO) => parsedSet(switchesWithValues(args), io),
  parsedSet,
);

const deliveries = defineCommand({
  name: 'repo deliveries',
  args: 'OWNER/NAME [--limit N] [--json]',
  summary: 'the webhook deliveries of a repository, newest first, and what became of each',
  details: `  --limit N   how many, 1 to ${MAX_DELIVERY_LIST} (default ${DEFAULT_DELIVERY_LIST})
  --json      print JSON instead of a table
`,
  options: { limit: { type: 'string' }, json: { type: 'boolean' } },
  positionals: ['OWNER/NAME'],
  async run({ values, positionals: [fullName = ''], usageError }, io) {
    const limit = values.limit === undefined ? DEFAULT_DELIVERY_LIST : wholeNumber(values.limit);
    if (!(limit >= 1 && limit <= MAX_DELIVERY_LIST))
      return usageError(`--limit takes a number of deliveries from 1 to ${MAX_DELIVERY_LIST}`);
    return withServices(io, async (services) => {
      const list = await services.repos.deliveries(LOCAL_ADMIN, fullName, { limit });
      io.stdout(values.json ? terminalJson(list) : formatDeliveries(list));
      return 0;
    });
  },
});

/** `drone-gogs repo …`: which Gogs repositories send their events to drone-gogs, and their settings. */
export const repoCommand = defineCommandGroup({
  name: 'repo',
  summary: 'the repositories drone-gogs builds',
  subcommands: { enable, disable, repair, list, set, deliveries },
});

/** The change `repo set` asks for, or what is wrong with its options (checked as the service will). */
function settingsChange(
  values: {
    trusted?: string;
    timeout?: string;
    config?: string;
    approval?: string;
    'approve-user'?: string[];
    'no-approve-user'?: string[];
    throttle?: string;
  } & Partial<Record<Switch, string>>,
): RepoSettingsChange | string {
  const change: RepoSettingsChange = {};
  for (const [option, field] of [['trusted', 'trusted'], ...Object.entries(SWITCHES)] as [
    'trusted' | Switch,
    'trusted' | (typeof SWITCHES)[Switch],
  ][]) {
    const value = values[option];
    if (value === undefined) continue;
    if (value !== 'true' && value !== 'false') return `--${option} takes true or false`;
    change[field] = value === 'true';
  }
  if (values.timeout !== undefined)
    change.timeoutMinutes = values.timeout === 'default' ? null : wholeNumber(values.timeout);
  if (values.config !== undefined) change.configPath = values.config;
  if (values.approval !== undefined) change.requireApproval = values.approval as ApprovalRule;
  if (values['approve-user'] !== undefined) change.approvalAllowListAdd = values['approve-user'];
  if (values['no-approve-user'] !== undefined) change.approvalAllowListRemove = values['no-approve-user'];
  if (values.throttle !== undefined) change.throttle = wholeNumber(values.throttle);
  return settingsProblem(change) ?? change;
}

/** Bare switches as `--switch=true`, up to the `--` that ends the options. */
function switchesWithValues(args: string[]): string[] {
  const end = args.indexOf('--');
  return args.map((arg, index) =>
    (end === -1 || index < end) && arg.startsWith('--') && Object.hasOwn(SWITCHES, arg.slice(2))
      ? `${arg}=true`
      : arg,
  );
}

function wholeNumber(text: string): number {
  return /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
}

function printFindings(io: CommandIO, findings: HookUrlFinding[]): void {
  for (const finding of findings) {
    io.stderr(`${finding.severity}: ${finding.problem}\n  fix: ${finding.fix}\n`);
  }
}

function formatTable(repos: RepoView[]): string {
  if (repos.length === 0) return 'no repositories yet; enable one with `drone-gogs repo enable OWNER/NAME`\n';
  const rows = repos.map((repo) => [
    terminalText(repo.fullName, 200),
    repo.active ? 'enabled' : 'disabled',
    repo.private ? 'private' : 'public',
    repo.trusted ? 'trusted' : '-',
    repo.requireApproval,
    repo.throttle === 0 ? '-' : String(repo.throttle),
    repo.hookId === null ? '-' : `#${repo.hookId}`,
  ]);
  return textTable(['REPOSITORY', 'STATE', 'VISIBILITY', 'TRUSTED', 'APPROVAL', 'THROTTLE', 'HOOK'], rows);
}

/** What `repo set` answers: every setting as it now is. */
function formatSettings(repo: RepoView, effectiveTimeoutMinutes: number): string {
  const on = (entries: [boolean, string][]) =>
    entries
      .filter(([enabled]) => enabled)
      .map(([, name]) => name)
      .join(', ') || 'nothing';
  const allowed = repo.approvalAllowList.length
    ? ` (never waiting: ${terminalText(repo.approvalAllowList.join(', '), 4000)})`
    : '';
  return [
    `${repo.fullName}: ${repo.trusted ? 'trusted' : 'not trusted'}, stage timeout ${effectiveTimeoutMinutes} min${
      repo.timeoutMinutes === null ? ' (the default)' : ''
    }, pipeline file ${terminalText(repo.configPath, 1100)}`,
    `  approval: ${repo.requireApproval}${allowed}${repo.requireVerifiedPusher ? '; pushes by pushers not signed in through an identity provider wait too' : ''}`,
    `  ignored: ${on([
      [repo.ignorePullRequests, 'pull requests'],
      [repo.ignoreForks && !repo.ignorePullRequests, 'pull requests from forks'],
    ])}`,
    `  auto-cancel: ${on([
      [repo.autoCancelPushes, 'pushes'],
      [repo.autoCancelPullRequests, 'pull requests'],
    ])}${repo.autoCancelRunning && (repo.autoCancelPushes || repo.autoCancelPullRequests) ? ', running builds too' : ''}`,
    `  throttle: ${repo.throttle === 0 ? 'none' : `${repo.throttle} stage(s) at once`}`,
    '',
  ].join('\n');
}

function formatDeliveries(list: DeliveryView[]): string {
  if (list.length === 0) return 'no deliveries yet\n';
  const rows = list.map((delivery) => [
    terminalText(delivery.deliveryId, 48),
    terminalText(delivery.action ? `${delivery.event}/${delivery.action}` : delivery.event, 40),
    terminalText(delivery.ref, 60),
    terminalText(delivery.after.slice(0, 8), 8) || '-',
    `${new Date(delivery.receivedAt).toISOString().slice(0, 19)}Z`,
    delivery.status,
    delivery.buildNumber === null
      ? terminalText(delivery.reason ?? '', 300)
      : `build #${delivery.buildNumber}`,
  ]);
  return textTable(['DELIVERY', 'EVENT', 'REF', 'COMMIT', 'RECEIVED', 'STATUS', 'OUTCOME'], rows);
}
