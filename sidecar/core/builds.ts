/**
 * Builds, their stages and steps as stored: what trigger/ creates, queue/ hands out, the runner's sinks update
 * and every view (CLI, API, status site) reads. Statuses are Drone's. Times are milliseconds since the epoch;
 * the Drone-shaped views turn them into Drone's seconds.
 */
import type { BuildEvent } from './plan.ts';
import type { StepStatus } from './runner.ts';

/** Drone's statuses of builds and stages. */
export type BuildStatus =
  | 'pending'
  | 'blocked'
  | 'declined'
  | 'waiting_on_dependencies'
  | 'running'
  | 'success'
  | 'failure'
  | 'error'
  | 'killed'
  | 'skipped';

export type StageStatus = BuildStatus;

/** Statuses after which nothing changes any more. */
export const FINAL_STATUSES: ReadonlySet<BuildStatus> = new Set([
  'declined',
  'success',
  'failure',
  'error',
  'killed',
  'skipped',
]);

/** Where a build came from, for humans and for `DRONE_*`: the commit, its author and the ref. */
export interface BuildOrigin {
  event: BuildEvent;
  /** Drone's action: `opened`/`synchronized`/`closed` for pull requests, '' otherwise. */
  action: string;
  /** `refs/heads/main`, `refs/tags/v1`, `refs/pull/7/head`. */
  ref: string;
  /** The branch the commit is on (a pull request's head branch). */
  source: string;
  /** The branch built into (a pull request's base; the branch itself for pushes). */
  target: string;
  before: string;
  after: string;
  message: string;
  title: string;
  link: string;
  authorLogin: string;
  authorName: string;
  authorEmail: string;
  authorAvatar: string;
  /** The Gogs user whose action caused the build. */
  sender: string;
  /** A pull request's number; 0 otherwise. */
  pullRequest: number;
  /** A pull request's head repository when it is a fork (`owner/name`), '' otherwise. */
  fork: string;
  /** `drone build create --param`, promotions' parameters. */
  params: Readonly<Record<string, string>>;
  cron: string;
  deployTo: string;
}

export interface NewStep {
  number: number;
  name: string;
  /** The image as the plan names it; `digest` is learnt when the step runs. */
  image: string;
  status: StepStatus;
  detached: boolean;
  errIgnore: boolean;
  dependsOn: string[];
}

export interface NewStage {
  number: number;
  name: string;
  kind: string;
  type: string;
  status: StageStatus;
  error: string | null;
  os: string;
  arch: string;
  variant: string;
  /** The pipeline's `concurrency.limit`: stages of this name that may run at once; 0 = no limit. */
  limit: number;
  dependsOn: string[];
  onSuccess: boolean;
  onFailure: boolean;
  /** Runner labels the stage asks for (`node:`). */
  labels: Readonly<Record<string, string>>;
  /**
   * Usually none: as in Drone, steps are created when the stage is claimed and its pipeline compiled for the
   * runner (substitution sees the build's number and the stage), not when the build is created.
   */
  steps: NewStep[];
}

export interface NewBuild {
  repoId: number;
  /**
   * What makes this build the one of its origin: the delivery and pipeline file for hooks, the restart's,
   * custom build's, cron due time's or promotion's own key otherwise. Creating twice with one key gives the
   * first build back.
   */
  idempotencyKey: string;
  origin: BuildOrigin;
  status: BuildStatus;
  /** Why the build is `error` (a broken pipeline file, with its lint messages); null otherwise. */
  error: string | null;
  /** The build this one restarts; 0 otherwise. */
  parent: number;
  /** The pipeline file as read at the commit; '' when there was none (the build then carries an error). */
  config: string;
  /** Files the build changed (`paths:` conditions); null when unknown. */
  changedPaths: string[] | null;
  stages: NewStage[];
}

export interface Build {
  id: number;
  repoId: number;
  /** Per repository, from 1, in the order builds were created. */
  number: number;
  idempotencyKey: string;
  origin: BuildOrigin;
  status: BuildStatus;
  error: string | null;
  parent: number;
  /** SHA-256 of the pipeline file as read, hex; '' when there was none. The file is kept under it. */
  configSha256: string;
  changedPaths: string[] | null;
  createdAt: number;
  updatedAt: number;
  /** 0 until the first stage starts. */
  startedAt: number;
  finishedAt: number;
  version: number;
}

export interface Stage extends Omit<NewStage, 'steps'> {
  id: number;
  buildId: number;
  repoId: number;
  /** The engine that ran it; '' until claimed. */
  machine: string;
  /** The instance that claimed it; '' until claimed. */
  claimedBy: string;
  exitCode: number;
  errIgnore: boolean;
  startedAt: number;
  finishedAt: number;
  createdAt: number;
  updatedAt: number;
  version: number;
}

export interface Step extends NewStep {
  id: number;
  stageId: number;
  buildId: number;
  error: string | null;
  exitCode: number | null;
  /** The repository digest of the image that ran (`sha256:…`) when it came from a registry, else its image id. */
  digest: string;
  startedAt: number;
  finishedAt: number;
  version: number;
}

export interface BuildWithStages {
  build: Build;
  stages: (Stage & { steps: Step[] })[];
}

export interface BuildFilter {
  branch?: string;
  event?: BuildEvent;
  status?: BuildStatus;
  /** At most this many, newest first. */
  limit: number;
  /** Only builds numbered below this (paging by number). */
  beforeNumber?: number;
  /** Builds to pass over first (paging by page). */
  offset?: number;
}

export interface BuildStore {
  /**
   * Creates the build with its stages and steps, its number (the repository's next, assigned in the same
   * transaction) and a `build` event; or, when a build with the same idempotency key exists, returns that one
   * with `created: false` and changes nothing.
   */
  create(build: NewBuild): Promise<{ build: Build; created: boolean }>;
  find(repoId: number, number: number): Promise<BuildWithStages | null>;
  findByKey(idempotencyKey: string): Promise<Build | null>;
  /** By the build's id (not its number); null when gone. */
  get(id: number): Promise<BuildWithStages | null>;
  /** The pipeline file a build was created from, by its SHA-256; null when unknown. */
  config(sha256: string): Promise<string | null>;
  /** Newest first; served from an index on (repository, number). */
  list(repoId: number, filter: BuildFilter): Promise<Build[]>;
  /**
   * Builds of the repository that have not ended, numbered below `beforeNumber`, of one line of work: pushes to
   * a branch, or the builds of one pull request. Oldest first, at most `limit`. What auto-cancel supersedes.
   */
  unfinished(repoId: number, line: BuildLine, beforeNumber: number, limit: number): Promise<Build[]>;
}

/** Builds that supersede each other: pushes to one branch, or the updates of one pull request. */
export type BuildLine = { event: 'push'; branch: string } | { event: 'pull_request'; pullRequest: number };

/** What changed, as the change feed carries it. */
export type ChangeKind = 'build' | 'stage' | 'step' | 'log';

/**
 * One entry of the durable, ordered change feed: every build, stage and step change and every stored log chunk.
 * Ids only grow; followers resume after the last id they saw (an SSE `Last-Event-ID`).
 */
export interface Change {
  id: number;
  kind: ChangeKind;
  repoId: number;
  buildId: number;
  stageId: number | null;
  stepId: number | null;
  /** The changed row's status (builds, stages, steps) or the chunk's first line number (logs). */
  detail: string;
  createdAt: number;
}

export interface ChangeFeed {
  /** Entries with an id above `afterId`, oldest first, at most `limit`. */
  after(afterId: number, limit: number): Promise<Change[]>;
  /** The id of the newest entry; 0 when the feed is empty. */
  latestId(): Promise<number>;
  /** Removes entries older than `before` (ms); returns how many. */
  prune(before: number): Promise<number>;
}

/**
 * Drone's trigger, which is not stored: hooks bring pushes, tags and pull requests (`@hook`), the scheduler
 * brings cron builds (`@cron`); custom builds, promotions, rollbacks and restarts are asked for by their sender.
 */
export function buildTrigger(build: Pick<Build, 'origin' | 'parent'>): string {
  const { event, sender } = build.origin;
  if (event === 'cron') return '@cron';
  const fromHook = event === 'push' || event === 'tag' || event === 'pull_request';
  return fromHook && build.parent === 0 ? '@hook' : sender;
}
