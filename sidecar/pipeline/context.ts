/**
 * A {@link BuildContext} from the few facts a caller usually has, with Drone's derivations for the rest: the ref
 * from event and branch, the source branch, the Gogs action. Used by the CLI and by tests; trigger/ may use it
 * too and fill in what a hook provides.
 */
import type { BuildContext } from '../core/index.ts';

export interface BuildContextInput {
  event: string;
  /** Branch conditions compare with: the pushed branch, a pull request's target branch, a Gogs tag's name. */
  branch: string;
  ref?: string;
  action?: string;
  sourceBranch?: string;
  deployTarget?: string;
  cron?: string;
  /** `owner/name`. */
  repo?: string;
  trusted?: boolean;
  pullRequest?: number;
  changedPaths?: string[] | null;
  instance?: string;
  now?: number;
  buildNumber?: number;
  sha?: string;
  params?: Record<string, string>;
}

/** Drone's ref for an event on a branch (or tag, for tag events). */
export function refFor(event: string, branch: string, pullRequest = 1): string {
  if (event === 'tag') return `refs/tags/${branch}`;
  if (event === 'pull_request') return `refs/pull/${pullRequest}/head`;
  return `refs/heads/${branch}`;
}

/** The action Drone's Gogs driver sets for an event. */
export function actionFor(event: string): string {
  if (event === 'pull_request') return 'opened';
  if (event === 'tag') return 'create';
  return '';
}

export function createBuildContext(input: BuildContextInput): BuildContext {
  const [owner = 'local', name = 'repo'] = (input.repo ?? 'local/repo').split('/', 2);
  const host = input.instance ?? 'localhost';
  const now = input.now ?? 0;
  const number = input.buildNumber ?? 1;
  const sha = input.sha ?? '';
  return {
    event: input.event,
    action: input.action ?? actionFor(input.event),
    ref: input.ref ?? refFor(input.event, input.branch, input.pullRequest),
    branch: input.branch,
    sourceBranch: input.sourceBranch ?? input.branch,
    deployTarget: input.deployTarget ?? '',
    deployId: 0,
    cron: input.cron ?? '',
    commit: {
      sha,
      before: '',
      message: '',
      title: '',
      link: '',
      author: { login: '', name: '', email: '', avatar: '' },
    },
    build: {
      number,
      parent: 0,
      created: now,
      started: 0,
      finished: 0,
      trigger: '@hook',
      debug: false,
      status: 'pending',
      failedStages: [],
      params: input.params ?? {},
    },
    repo: {
      owner,
      name,
      link: `http://${host}/${owner}/${name}`,
      httpUrl: `http://${host}/${owner}/${name}.git`,
      sshUrl: `git@${host}:${owner}/${name}.git`,
      defaultBranch: 'master',
      scm: 'git',
      visibility: 'public',
      private: false,
      trusted: input.trusted ?? false,
      protected: false,
    },
    system: { proto: 'http', host, version: 'drone-gogs' },
    changedPaths: input.changedPaths ?? null,
    now,
    runner: { name: 'drone-gogs', environ: {} },
    proxy: {},
  };
}
