/**
 * What the build service changes: approving and declining blocked stages, restarting and cancelling builds. Each
 * write is conditional on what it read (several processes share the database), goes through the stage queue so
 * that it enters the change feed, names the actor in its log line, and tells this process's stage worker.
 */
import { randomUUID } from 'node:crypto';
import {
  AppError,
  type AuditLog,
  type Authorizer,
  type BuildContext,
  type BuildService,
  type BuildStore,
  type BuildWithStages,
  type Clock,
  describePrincipal,
  FINAL_STATUSES,
  type Logger,
  type PolicyAction,
  type Principal,
  type Repo,
  type RepoStore,
  type StageQueueStore,
} from '../core/index.ts';
import type { PipelinePlan, PlanOptions } from '../pipeline/index.ts';
import { settleBuild } from '../queue/index.ts';
import type { PipelineSource, SystemFacts } from '../trigger/index.ts';
import { buildNamed, policyRepoOf } from './build-lookup.ts';
import { droneBuildDetail } from './drone-view.ts';
import { restartOf } from './restart-plan.ts';
import { approvalOf, blockedStages, declineOf, type StageDecision } from './stage-decisions.ts';

export interface BuildActionDeps {
  builds: BuildStore;
  repos: RepoStore;
  authorizer: Authorizer;
  queue: StageQueueStore;
  /** Plans a restarted build's file (the sidecar's planning thread under its deadline). */
  plan(file: PipelineSource, context: BuildContext, options: PlanOptions): Promise<PipelinePlan>;
  system: SystemFacts;
  clock: Clock;
  logger: Logger;
  /** Approvals, declines, restarts and cancels are recorded here. */
  audit: AuditLog;
  /** Called after every change a stage worker of this process acts on (stages to claim or to stop). */
  changed?: () => void;
}

/** What a caller may pass as a restart's request id: what an HTTP header or a UUID holds, and no more. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type BuildActions = Pick<BuildService, 'approve' | 'decline' | 'restart' | 'cancel'>;

export function createBuildActions(deps: BuildActionDeps): BuildActions {
  const { builds, repos, queue, clock, logger } = deps;
  const by = (actor: Principal) => ({ by: describePrincipal(actor) });

  const named = (actor: Principal, action: PolicyAction, fullName: string, number: number) =>
    buildNamed({ repos, builds }, fullName, number, (repo) =>
      deps.authorizer.authorize(actor, action, policyRepoOf(repo)),
    );

  const detail = async (repo: Repo, buildId: number) => {
    const found = await builds.get(buildId);
    if (found === null) throw new AppError('NOT_FOUND', `a build of ${repo.fullName} is gone`);
    return droneBuildDetail(found, repo);
  };

  /** Applies an approval or decline, then what it implies, however the rows moved meanwhile. */
  const decideOn = async ({ build, stages }: BuildWithStages, decision: StageDecision): Promise<number> => {
    const facts = { buildId: build.id, repoId: build.repoId, status: build.status, stages };
    const moved = await queue.moveStages(facts, decision.moves, decision.status, clock.now());
    await settleBuild(queue, build.id, () => clock.now());
    deps.changed?.();
    return moved.length;
  };

  const decided =
    (verb: 'approve' | 'decline', decide: typeof approvalOf): BuildActions['approve'] =>
    async (actor, fullName, number, stage) => {
      const { repo, found } = await named(actor, 'approve', fullName, number);
      const { build } = found;
      const chosen = blockedStages(
        found.stages,
        { number, status: build.status, fullName: repo.fullName },
        stage,
        verb,
      );
      const moved = await decideOn(found, decide(found.stages, build.status, chosen));
      logger.info(`builds: ${verb}d`, {
        repo: repo.fullName,
        build: number,
        stages: chosen.map((each) => each.number).join(','),
        moved,
        ...by(actor),
      });
      await deps.audit.record({
        actor,
        action: verb === 'approve' ? 'build.approve' : 'build.decline',
        target: `${repo.fullName}#${number}`,
        decision: 'allow',
        detail: { stages: chosen.map((each) => each.number).join(','), moved },
      });
      return detail(repo, build.id);
    };

  return {
    approve: decided('approve', approvalOf),
    decline: decided('decline', declineOf),

    async restart(actor, fullName, number, options = {}) {
      const requestId = options.requestId ?? randomUUID();
      if (!REQUEST_ID.test(requestId))
        throw new AppError(
          'BAD_REQUEST',
          'a request id is 1 to 128 letters, digits and . _ : - (a UUID, for example)',
        );
      const { repo, found } = await named(actor, 'restart', fullName, number);
      const old = found.build;
      if (old.status === 'blocked' || old.status === 'declined')
        throw new AppError(
          'BAD_REQUEST',
          old.status === 'blocked'
            ? `build #${number} of ${repo.fullName} waits for approval; \`drone-gogs build approve ${repo.fullName} ${number}\` runs it`
            : `build #${number} of ${repo.fullName} was declined and cannot be restarted; push again to build the commit`,
        );
      const key = `restart:${repo.id}:${number}:${requestId}`;
      const earlier = await builds.findByKey(key);
      if (earlier !== null) return detail(repo, earlier.id);
      const { build, created } = await builds.create(await restartOf(old, repo, key, clock.now(), deps));
      if (created) deps.changed?.();
      logger.info('builds: restarted', {
        repo: repo.fullName,
        build: number,
        as: build.number,
        created,
        ...by(actor),
      });
      if (created)
        await deps.audit.record({
          actor,
          action: 'build.restart',
          target: `${repo.fullName}#${number}`,
          decision: 'allow',
          detail: { as: build.number },
        });
      return detail(repo, build.id);
    },

    async cancel(actor, fullName, number) {
      const { repo, found } = await named(actor, 'cancel', fullName, number);
      const ended = (status: string) =>
        new AppError(
          'BAD_REQUEST',
          `build #${number} of ${repo.fullName} already ended (${status}): there is nothing to cancel; \`drone-gogs build restart ${repo.fullName} ${number}\` runs it again`,
        );
      if (FINAL_STATUSES.has(found.build.status)) throw ended(found.build.status);
      const result = await queue.cancelBuild(found.build.id, null, clock.now());
      if (result === null || !result.killed) throw ended(result?.before ?? 'gone');
      deps.changed?.();
      logger.info('builds: cancelled', {
        repo: repo.fullName,
        build: number,
        running: result.running.length,
        ...by(actor),
      });
      await deps.audit.record({
        actor,
        action: 'build.cancel',
        target: `${repo.fullName}#${number}`,
        decision: 'allow',
        detail: { running: result.running.length },
      });
      return detail(repo, found.build.id);
    },
  };
}
