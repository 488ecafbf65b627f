/**
 * One stored delivery into at most one build: the event from the stored payload, the skip rules, the commit
 * (a tag peeled, a pull request's own head), the pipeline file at that commit, the files changed from git, the
 * plan, and the build with its stages, created once per delivery and pipeline file whatever the retries.
 */
import {
  AppError,
  type Build,
  type BuildContext,
  type BuildOrigin,
  type BuildStore,
  type Clock,
  type Delivery,
  type GitCredentials,
  type GitRemote,
  type GogsClient,
  type HookEvent,
  type Logger,
  type PusherCheck,
  type Repo,
  type RepoStore,
  repositoryCacheKey,
} from '../core/index.ts';
import { normalizeGogsHook } from '../gogs/index.ts';
import { MAX_FILE_BYTES, type PipelinePlan, type PlanOptions } from '../pipeline/index.ts';
import { approvalWait, newStagesOf } from './approval.ts';
import { buildContextOf, type SystemFacts } from './build-context.ts';
import type { PipelineSource } from './plan-under-deadline.ts';
import { firstSkip } from './skip-rules.ts';

export interface DeliveryProcessorDeps {
  repos: RepoStore;
  builds: BuildStore;
  gogs: GogsClient;
  git: GitRemote;
  /** Credentials for the repository's clone URL; null for public repositories. */
  credentials(repo: Repo): GitCredentials;
  /** Plans the file in a thread under a deadline (plan-under-deadline.ts). */
  plan(file: PipelineSource, context: BuildContext, options: PlanOptions): Promise<PipelinePlan>;
  system: SystemFacts;
  clock: Clock;
  logger: Logger;
  /** Asked about the sender when the repository requires verified pushers; without it such pushes wait. */
  pushers?: PusherCheck;
}

export type DeliveryOutcome =
  | { status: 'done'; build: Build; created: boolean }
  | { status: 'ignored'; reason: string };

/** Thrown when what the delivery names is not there yet (a pull request's head ref lags its webhook). */
export class NotYet extends Error {}

/**
 * Decides and creates the build of a delivery. Safe to call again for the same delivery (after a crash or a
 * lost lease): the build's idempotency key gives the first build back. Throws for what may pass with time (Gogs
 * or git unreachable, a ref not there yet); the caller retries later.
 */
export async function processDelivery(
  delivery: Delivery,
  deps: DeliveryProcessorDeps,
): Promise<DeliveryOutcome> {
  const repo = await deps.repos.findById(delivery.repoId);
  if (repo === null) return { status: 'ignored', reason: 'the repository is no longer known' };
  const normalized = normalizeGogsHook(delivery.event, parseBody(delivery.body));
  if (normalized.outcome === 'ignored') return { status: 'ignored', reason: normalized.reason };
  if (normalized.outcome === 'invalid')
    return { status: 'ignored', reason: `the payload is not valid: ${normalized.problems.join('; ')}` };
  const event = normalized.event;
  const skip = firstSkip({ event, repo });
  if (skip !== null) {
    deps.logger.info(`trigger: no build: ${skip.rule}`, {
      repo: repo.fullName,
      delivery: delivery.deliveryId,
    });
    return { status: 'ignored', reason: `${skip.rule}: ${skip.reason}` };
  }

  const origin = await originOf(event, repo, deps);
  // The file from the Gogs API and the changed paths from git are fetched side by side; the paths also fill the
  // cache the clone then reads, so their fetch goes on even when the plan turns out not to need them.
  const fetchingPaths = changedPathsOf(event, origin, repo, deps);
  let fetchedPaths: string[] | null | undefined;
  void fetchingPaths.then((paths) => {
    fetchedPaths = paths;
  });
  const file = await deps.gogs.getRawFile(
    repo.owner,
    repo.name,
    origin.after,
    repo.configPath,
    MAX_FILE_BYTES,
  );
  if (file === null)
    return {
      status: 'ignored',
      reason: `no ${repo.configPath} at ${origin.after.slice(0, 8)}; \`drone-gogs repo set ${repo.fullName} --config=PATH\` names another file`,
    };
  const key = `hook:${delivery.deliveryId}:${repo.configPath}`;
  const errored = async (error: string, config: string, changedPaths: string[] | null) => {
    const base = { repoId: repo.id, idempotencyKey: key, origin, parent: 0, config, changedPaths };
    const { build, created } = await deps.builds.create({ ...base, status: 'error', error, stages: [] });
    return { status: 'done', build, created } as const;
  };
  // Read no further than the limit, and keep nothing of a file over it.
  if (file.length > MAX_FILE_BYTES)
    return errored(
      `${repo.configPath}: the file is over the ${MAX_FILE_BYTES / 1024 / 1024} MB limit`,
      '',
      null,
    );
  const planWith = (changedPaths: string[] | null) => {
    const now = deps.clock.now();
    const context = buildContextOf({
      origin,
      repo,
      system: deps.system,
      number: 0,
      changedPaths,
      createdAt: now,
      now,
    });
    return deps.plan({ source: file, fileName: repo.configPath }, context, { trusted: repo.trusted });
  };
  // Planned with the changed paths when they are already known; otherwise without them, and again with them
  // only when a `paths:` condition is there to read them.
  const known = fetchedPaths;
  let changedPaths = known ?? null;
  let planned = await planWith(changedPaths);
  if (known === undefined && planned.readsChangedPaths) {
    changedPaths = await fetchingPaths;
    planned = await planWith(changedPaths);
  }
  const config = new TextDecoder('utf-8', { fatal: false }).decode(file);
  if (planned.error !== null) return errored(planned.error, config, changedPaths);
  const running = planned.pipelines.filter((pipeline) => pipeline.runs);
  if (running.length === 0) {
    const reasons = planned.pipelines.map((pipeline) => `${pipeline.name}: ${pipeline.skipReason}`);
    return {
      status: 'ignored',
      reason: `no pipeline runs for this ${origin.event}${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}`,
    };
  }
  const pusherVerified = repo.requireVerifiedPusher
    ? ((await deps.pushers?.verified(origin.sender)) ?? false)
    : undefined;
  const waits = approvalWait({ repo, origin, ...(pusherVerified === undefined ? {} : { pusherVerified }) });
  if (waits !== null)
    deps.logger.info(`trigger: the build waits for approval: ${waits.rule}`, {
      repo: repo.fullName,
      delivery: delivery.deliveryId,
    });
  const { build, created } = await deps.builds.create({
    repoId: repo.id,
    idempotencyKey: key,
    origin,
    parent: 0,
    config,
    changedPaths,
    status: waits === null ? 'pending' : 'blocked',
    error: null,
    stages: newStagesOf(
      running.map(({ stage }) => stage),
      waits !== null,
    ),
  });
  return { status: 'done', build, created };
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

/** The commit and its story: a push's own, a tag's peeled commit, a pull request's head. */
async function originOf(event: HookEvent, repo: Repo, deps: DeliveryProcessorDeps): Promise<BuildOrigin> {
  const head = event.commits[0];
  const common = {
    action: '',
    before: event.before,
    link: event.compareUrl,
    sender: event.sender.login,
    pullRequest: 0,
    fork: '',
    params: {},
    cron: '',
    deployTo: '',
    title: '',
  };
  if (event.kind === 'push') {
    return {
      ...common,
      event: 'push',
      ref: event.ref,
      source: event.branch,
      target: event.branch,
      after: event.after,
      message: head?.message ?? '',
      link: event.compareUrl || (head?.url ?? ''),
      authorLogin: head?.author.login || event.sender.login,
      authorName: head?.author.name ?? event.sender.name,
      authorEmail: head?.author.email ?? event.sender.email,
      authorAvatar: event.sender.avatarUrl,
    };
  }
  const ref = event.kind === 'tag' ? event.ref : `refs/pull/${event.pullRequest?.number ?? 0}/head`;
  const sha = await deps.git.resolveRef(repo.cloneUrl, ref, deps.credentials(repo));
  if (sha === null) throw new NotYet(`${ref} is not on ${repo.fullName} yet`);
  const commit = await deps.gogs.getCommit(repo.owner, repo.name, sha);
  const author = {
    authorLogin: commit.author?.username ?? event.sender.login,
    authorName: commit.commit.author.name,
    authorEmail: commit.commit.author.email,
    authorAvatar: commit.author?.avatar_url ?? event.sender.avatarUrl,
  };
  if (event.kind === 'tag') {
    return {
      ...common,
      ...author,
      event: 'tag',
      action: 'create',
      ref,
      source: event.tag,
      target: event.tag,
      before: '',
      after: sha,
      message: commit.commit.message,
      link: commit.html_url,
    };
  }
  const pull = event.pullRequest;
  if (pull === null) throw new AppError('PAYLOAD_INVALID', 'a pull request event without its pull request');
  return {
    ...common,
    ...author,
    event: 'pull_request',
    action: event.action === 'synchronized' ? 'synchronized' : 'opened',
    ref,
    source: pull.headBranch,
    target: pull.baseBranch,
    before: '',
    after: sha,
    message: pull.title,
    title: pull.title,
    link: pull.url,
    pullRequest: pull.number,
    fork: pull.fromFork ? pull.headRepoFullName : '',
  };
}

/** Changed files from git, never from the payload (Gogs truncates it); null (`paths:` then match) when unknown. */
async function changedPathsOf(
  event: HookEvent,
  origin: BuildOrigin,
  repo: Repo,
  deps: DeliveryProcessorDeps,
): Promise<string[] | null> {
  if (event.kind === 'tag') return null;
  const pull = event.kind === 'pull_request';
  try {
    return await deps.git.changedPaths({
      cacheKey: repositoryCacheKey(repo),
      remote: repo.cloneUrl,
      credentials: deps.credentials(repo),
      from: pull ? `refs/heads/${origin.target}` : origin.before,
      to: origin.after,
      mergeBase: pull,
    });
  } catch (error) {
    deps.logger.warn(
      `trigger: cannot tell which files changed, so paths conditions match: ${messageOf(error)}`,
      {
        repo: repo.fullName,
      },
    );
    return null;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
