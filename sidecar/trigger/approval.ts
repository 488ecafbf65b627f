/**
 * Whether a new build waits for someone to approve it (Drone's protected repositories, by where the change
 * comes from), as a table of small named checks over the repository's `requireApproval` rule, in order; the first
 * that answers decides and its name is logged. A sender on the repository's allow-list never waits. A waiting
 * build is created with every stage `blocked`; approving a stage gives it back the status it was planned with.
 * Pure: the same facts give the same answer in every process.
 */
import type { BuildOrigin, NewStage, PlanStage, Repo, StageStatus } from '../core/index.ts';

export interface ApprovalFacts {
  repo: Pick<Repo, 'fullName' | 'requireApproval' | 'approvalAllowList'> &
    Partial<Pick<Repo, 'requireVerifiedPusher'>>;
  origin: Pick<BuildOrigin, 'event' | 'fork' | 'sender'>;
  /**
   * Whether the sender signed in through an OpenID provider and is in its required groups; asked only when
   * the repository requires verified pushers (undefined otherwise).
   */
  pusherVerified?: boolean;
}

export interface WaitRule {
  name: string;
  /** Why the build waits for approval, or null when this rule does not hold it. */
  check(facts: ApprovalFacts): string | null;
}

export const WAIT_RULES: readonly WaitRule[] = [
  {
    name: 'every-build',
    check: ({ repo }) =>
      repo.requireApproval === 'all' ? `every build of ${repo.fullName} waits for approval` : null,
  },
  {
    name: 'pull-request',
    check: ({ repo, origin }) =>
      repo.requireApproval === 'pull_requests' && origin.event === 'pull_request'
        ? `pull requests to ${repo.fullName} wait for approval`
        : null,
  },
  {
    name: 'unverified-pusher',
    check: ({ repo, origin, pusherVerified }) =>
      repo.requireVerifiedPusher === true &&
      (origin.event === 'push' || origin.event === 'tag') &&
      pusherVerified !== true
        ? `${repo.fullName} builds pushes at once only from pushers signed in through an identity provider; ${origin.sender} has not (or is outside its required groups)`
        : null,
  },
  {
    name: 'fork-pull-request',
    check: ({ repo, origin }) =>
      repo.requireApproval === 'forks' && origin.event === 'pull_request' && origin.fork !== ''
        ? `pull requests from forks (this one from ${origin.fork}) wait for approval`
        : null,
  },
];

/** The rule that holds the build for approval, or null when it runs at once. */
export function approvalWait(facts: ApprovalFacts): { rule: string; reason: string } | null {
  // Gogs logins are matched without regard to case; the list is stored in lower case.
  if (facts.repo.approvalAllowList.includes(facts.origin.sender.toLowerCase())) return null;
  for (const rule of WAIT_RULES) {
    const reason = rule.check(facts);
    if (reason !== null) return { rule: rule.name, reason };
  }
  return null;
}

/** What a new build's stage rows take from the planned stage. */
export type PlannedStage = Pick<
  PlanStage,
  | 'number'
  | 'name'
  | 'kind'
  | 'type'
  | 'initialStatus'
  | 'platform'
  | 'concurrencyLimit'
  | 'dependsOn'
  | 'onSuccess'
  | 'onFailure'
  | 'node'
>;

/** The stages of a new build from the pipelines that run: as planned, or all `blocked` when the build waits. */
export function newStagesOf(stages: readonly PlannedStage[], waits: boolean): NewStage[] {
  return stages.map((stage) => ({
    number: stage.number,
    name: stage.name,
    kind: stage.kind,
    type: stage.type,
    status: waits ? 'blocked' : stage.initialStatus,
    error: null,
    os: stage.platform.os,
    arch: stage.platform.arch,
    variant: stage.platform.variant,
    limit: stage.concurrencyLimit,
    dependsOn: stage.dependsOn,
    onSuccess: stage.onSuccess,
    onFailure: stage.onFailure,
    labels: stage.node,
    steps: [],
  }));
}

/**
 * The status an approved stage goes back to: the one the planner gave it, which depends on nothing but whether
 * it waits for other stages (the stored `depends_on`, with skipped pipelines already bypassed).
 */
export function approvedStatus(stage: { dependsOn: readonly string[] }): StageStatus {
  return stage.dependsOn.length === 0 ? 'pending' : 'waiting_on_dependencies';
}
