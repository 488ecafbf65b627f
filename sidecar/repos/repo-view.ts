import type { DeliverySummary, DeliveryView, Repo, RepoView } from '../core/index.ts';

/** The public view of a stored repository, copied field by field so that nothing secret rides along. */
export function repoView(repo: Repo): RepoView {
  return {
    fullName: repo.fullName,
    gogsId: repo.gogsId,
    active: repo.active,
    private: repo.private,
    trusted: repo.trusted,
    defaultBranch: repo.defaultBranch,
    htmlUrl: repo.htmlUrl,
    timeoutMinutes: repo.timeoutMinutes,
    configPath: repo.configPath,
    requireApproval: repo.requireApproval,
    approvalAllowList: [...repo.approvalAllowList],
    requireVerifiedPusher: repo.requireVerifiedPusher,
    ignoreForks: repo.ignoreForks,
    ignorePullRequests: repo.ignorePullRequests,
    autoCancelPushes: repo.autoCancelPushes,
    autoCancelPullRequests: repo.autoCancelPullRequests,
    autoCancelRunning: repo.autoCancelRunning,
    throttle: repo.throttle,
    hookId: repo.hookId,
    hookUrl: repo.hookUrl,
    secretRotatedGraceUntil: repo.previousHookSecretUntil,
  };
}

/** A delivery as `repo deliveries` shows it: its metadata and what became of it, never its payload. */
export function deliveryView(delivery: DeliverySummary): DeliveryView {
  return {
    deliveryId: delivery.deliveryId,
    event: delivery.event,
    action: delivery.action,
    ref: delivery.ref,
    after: delivery.after,
    synthetic: delivery.synthetic,
    receivedAt: delivery.receivedAt,
    status: delivery.status,
    reason: delivery.statusReason,
    buildNumber: delivery.buildNumber,
    attempts: delivery.attempts,
  };
}
