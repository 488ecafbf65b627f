/**
 * The loop that runs builds: it claims pending stages from the database for the engines of this process that fit
 * them and have room (each stage claimed for one engine, stored as its `machine`, and run there), compiles each
 * claimed stage for the runner (the runner's half of planning), creates its steps, runs it and records every step
 * and the stage's end. After every end, and on every pass, it applies what ended stages imply (waiting stages
 * released or skipped, the build's status) from the stored rows, so a stage that ended in another process counts
 * too. A stage it runs that is no longer `running` in the database (cancelled, by whichever process) is stopped on
 * the next pass. On start and then every 10 seconds it takes over the running stages of instances that died and
 * re-attaches to them (recovery.ts). Stopping stops claiming, lets running stages finish up to a deadline and then
 * leaves the rest running on their engines, still `running` in the database, for recovery to re-attach to.
 */
import {
  type Build,
  type BuildContext,
  type BuildStore,
  type Clock,
  createWakeablePause,
  type GitCredentials,
  type Logger,
  type LogSink,
  type NewStep,
  noEngineMessage,
  placeStage,
  type Repo,
  type RepoStore,
  type RepositoryCache,
  type RunnerPool,
  type Running,
  type Stage,
  type StageQueueStore,
  type StageRunIds,
  type WorkloadTokenIssuer,
} from '../core/index.ts';
import type { PipelinePlan, PlanOptions } from '../pipeline/index.ts';
import type { PipelineSource, SystemFacts } from '../trigger/index.ts';
import { reattachStage, type StageRecoveryDeps, takeOverDeadStages } from './recovery.ts';
import { stageEndOf, stepRecorder } from './run-recording.ts';
import { settleBuild } from './settle-build.ts';
import { compileStage } from './stage-compile.ts';
import { stageWorkloadTokens } from './workload-token.ts';

export interface StageWorkerDeps {
  queue: StageQueueStore;
  builds: BuildStore;
  repos: RepoStore;
  runner: Pick<RunnerPool, 'runStage' | 'engines' | 'recoverStage'>;
  /** Where a stage's step logs go (stored under the step rows, by step name; then to live followers). */
  logSink(stepIds: ReadonlyMap<string, number>): LogSink;
  plan(file: PipelineSource, context: BuildContext, options: PlanOptions): Promise<PipelinePlan>;
  credentials(repo: Repo): GitCredentials;
  /** The trigger's git cache of the repository, which the clone reads before the network. */
  gitCache?(repo: Repo): RepositoryCache;
  /** Signs the workload identity tokens steps ask for (`id_tokens:`); without it such steps error. */
  workloadTokens?: Pick<WorkloadTokenIssuer, 'issue'>;
  /**
   * The secrets the build's steps may use, by name, resolved when its stage starts (secrets/); throwing ends the
   * stage `error` with the message. Without it stages run with none.
   */
  secretsFor?(repo: Repo, build: Build): Promise<Readonly<Record<string, string>>>;
  system: SystemFacts;
  /** This instance's id: it claims stages and labels what the runner makes. */
  holder: string;
  /** A stage's timeout when its repository sets none. */
  defaultTimeoutMs: number;
  clock: Clock;
  logger: Logger;
  pollMs?: number;
  /**
   * Whether each instance lives (runner's judgeInstances): a running stage whose instance died is taken over and
   * re-attached to, or ended `error` with the reason, on start and then once a minute. Without it nothing is
   * recovered.
   */
  alive?: () => Promise<(instance: string) => boolean>;
  /** The highest stored log line of a step (-1: none), where a re-attached step's log continues. */
  lastLine(stepId: number): Promise<number>;
  /**
   * How long stopping waits for running stages before it leaves them to recovery: the runner lets go of them
   * without stopping their containers, and their rows stay `running` under this instance.
   */
  stopDeadlineMs?: number;
}

export interface StageWorker extends Running {
  /** Looks at the queue now: a build was just created, approved or cancelled. */
  nudge(): void;
}

const SETTLE_BATCH = 20;
/** Pending stages looked at per pass: those whose engines are full stay pending and do not hide the others. */
const PENDING_BATCH = 100;
/** As often as instances beat: a stage of a process that stopped cleanly is taken over within this. */
const RECOVERY_INTERVAL_MS = 10_000;

export function startStageWorker(deps: StageWorkerDeps): StageWorker {
  const { queue, clock, logger, holder } = deps;
  const pollMs = deps.pollMs ?? 1_000;
  /** What this process runs or follows, on which engine; `settled` once the stage's run returned. */
  const running = new Map<
    Promise<void>,
    { stage: Stage; engine: string; abort: AbortController; leave: AbortController; settled: boolean }
  >();
  let stopped = false;
  const sleep = createWakeablePause(pollMs);
  const nudge = sleep.wake;

  /** Stages this process runs on the engine now. */
  const busy = (engine: string) => {
    let count = 0;
    for (const entry of running.values()) if (entry.engine === engine) count++;
    return count;
  };

  const progress = async (buildId: number) => {
    if (await settleBuild(queue, buildId, () => clock.now())) nudge();
  };

  const fail = async (stage: Stage, error: string) => {
    await queue.finishStage(stage, {
      status: 'error',
      error,
      exitCode: 0,
      finishedAt: clock.now(),
      machine: '',
    });
    logger.warn(`queue: stage ended before it ran: ${error}`, { build: stage.buildId, stage: stage.name });
  };

  const compile = (stage: Stage, build: Build, repo: Repo) => compileStage(deps, stage, build, repo);

  const run = async (stage: Stage, engine: string, signal: AbortSignal, leave: AbortSignal) => {
    const [found, repo] = await Promise.all([
      deps.builds.get(stage.buildId),
      deps.repos.findById(stage.repoId),
    ]);
    if (found === null || repo === null) return fail(stage, 'the build or its repository is gone');
    const build = found.build;
    const compiled = await compile(stage, build, repo);
    if (typeof compiled === 'string') return fail(stage, compiled);
    const secrets = (await deps.secretsFor?.(repo, build)) ?? {};
    const newSteps: NewStep[] = compiled.steps.flatMap((step) =>
      step.number === null
        ? []
        : [
            {
              number: step.number,
              name: step.name,
              image: step.image,
              status: 'pending',
              detached: step.detach,
              errIgnore: step.errorPolicy === 'ignore',
              dependsOn: step.dependsOn,
            },
          ],
    );
    const stepRows = new Map((await queue.addSteps(stage, newSteps)).map((step) => [step.number, step]));
    const ids: StageRunIds = {
      instance: holder,
      repo: repo.fullName,
      build: String(build.number),
      stage: String(stage.number),
    };
    logger.info('queue: stage started', { repo: repo.fullName, build: build.number, stage: stage.name });
    const result = await deps.runner.runStage({
      ids,
      stage: compiled,
      secrets,
      trusted: repo.trusted,
      workspace: {
        kind: 'git',
        remote: repo.cloneUrl,
        ref: build.origin.ref,
        sha: build.origin.after,
        credentials: deps.credentials(repo),
        ...(deps.gitCache === undefined ? {} : deps.gitCache(repo)),
      },
      logs: deps.logSink(new Map([...stepRows.values()].map((step) => [step.name, step.id]))),
      statuses: stepRecorder(queue, stage, stepRows),
      signal,
      leave,
      timeoutMs: repo.timeoutMinutes === null ? deps.defaultTimeoutMs : repo.timeoutMinutes * 60_000,
      engine,
      ...(deps.workloadTokens === undefined
        ? {}
        : { workloadToken: stageWorkloadTokens(deps.workloadTokens, build, repo, stage.name) }),
    });
    if (result.left) {
      logger.warn('queue: left a running stage for recovery', {
        repo: repo.fullName,
        build: build.number,
        stage: stage.name,
      });
      return;
    }
    await queue.finishStage(stage, stageEndOf(result, engine));
    logger.info(`queue: stage ended ${result.outcome}`, {
      repo: repo.fullName,
      build: build.number,
      stage: stage.name,
    });
  };

  const start = (
    stage: Stage,
    engine: string,
    job: (signal: AbortSignal, leave: AbortSignal) => Promise<void>,
  ) => {
    const entry = {
      stage,
      engine,
      abort: new AbortController(),
      leave: new AbortController(),
      settled: false,
    };
    const done: Promise<void> = job(entry.abort.signal, entry.leave.signal)
      .finally(() => {
        entry.settled = true;
      })
      .catch((error: unknown) =>
        fail(stage, `drone-gogs could not run the stage: ${(error as Error).message}`).catch(() => {}),
      )
      .then(() => progress(stage.buildId))
      .catch((error: unknown) => logger.error(`queue: ${(error as Error).message}`, { build: stage.buildId }))
      .finally(() => {
        running.delete(done);
        nudge();
      });
    running.set(done, entry);
  };

  /**
   * Stops the stages this process runs that are no longer `running` in the database: cancelled (by this or
   * another process), or ended by another. The runner kills their containers; their rows keep what the canceller
   * wrote, as every later write is conditional on the stage still running and the step not having ended.
   */
  const stopCancelled = async () => {
    const held = [...running.values()].filter((each) => !each.settled && !each.abort.signal.aborted);
    if (held.length === 0) return;
    const still = new Set(await queue.stillRunning(held.map((each) => each.stage.id)));
    for (const each of held) {
      if (still.has(each.stage.id)) continue;
      logger.info('queue: stopping a stage that is no longer running in the database (cancelled)', {
        build: each.stage.buildId,
        stage: each.stage.name,
      });
      each.abort.abort(new Error('the stage was cancelled'));
    }
  };

  const recovery: StageRecoveryDeps = {
    queue,
    builds: deps.builds,
    repos: deps.repos,
    runner: deps.runner,
    compile,
    logSink: deps.logSink,
    lastLine: deps.lastLine,
    ...(deps.secretsFor === undefined ? {} : { secretsFor: deps.secretsFor }),
    holder,
    clock,
    logger,
  };
  let recoveredAt = Number.NEGATIVE_INFINITY;
  /** Takes over the stages of instances that died and follows them to their end, so none stays running forever. */
  const recover = async () => {
    if (deps.alive === undefined || clock.now() - recoveredAt < RECOVERY_INTERVAL_MS) return;
    recoveredAt = clock.now();
    for (const taken of await takeOverDeadStages(recovery, await deps.alive())) {
      start(taken.stage, taken.stage.machine, (signal, leave) =>
        reattachStage(recovery, taken, signal, leave),
      );
    }
  };

  /** Claims each pending stage for an engine that fits it and has room; one that no engine fits ends `error`. */
  const claimPending = async () => {
    const engines = deps.runner.engines();
    if (!engines.some((engine) => engine.up && busy(engine.name) < engine.capacity)) return;
    for (const stage of await queue.pending(PENDING_BATCH)) {
      if (stopped) break;
      const need = { os: stage.os, arch: stage.arch, labels: stage.labels };
      const placed = placeStage(engines, need, busy);
      if (placed === 'full') continue;
      const engine = placed === 'none' ? '' : placed.engine;
      if (!(await queue.claim(stage, holder, engine, clock.now()))) continue;
      if (placed === 'none') await fail(stage, noEngineMessage(engines, need));
      else start(stage, engine, (signal, leave) => run(stage, engine, signal, leave));
      await progress(stage.buildId);
    }
  };

  const pass = async () => {
    await stopCancelled();
    await recover();
    for (const buildId of await queue.unsettledBuilds(SETTLE_BATCH)) await progress(buildId);
    await claimPending();
  };

  const loop = (async () => {
    while (!stopped) {
      sleep.reset();
      try {
        await pass();
      } catch (error) {
        logger.error(`queue: pass failed: ${(error as Error).message}`);
      }
      if (!stopped) await sleep.pause();
    }
  })();

  return {
    nudge,
    async stop() {
      stopped = true;
      sleep.wake();
      await loop;
      const deadline = new Promise<'deadline'>((resolve) =>
        setTimeout(() => resolve('deadline'), deps.stopDeadlineMs ?? 30_000).unref(),
      );
      // A stage cancelled while the sidecar winds down is still stopped at once.
      const watching = setInterval(() => void stopCancelled().catch(() => {}), pollMs);
      const outcome = await Promise.race([Promise.all(running.keys()), deadline]).finally(() =>
        clearInterval(watching),
      );
      if (outcome === 'deadline') {
        logger.warn(
          `queue: stopping: leaving ${running.size} stage(s) still running on their engines for recovery`,
        );
        for (const { leave } of running.values()) leave.abort();
        await Promise.all(running.keys());
      }
    },
  };
}
