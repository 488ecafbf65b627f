/**
 * The loop that runs builds: it claims pending stages from the database while this process's engines have room,
 * compiles each claimed stage for the runner (the runner's half of planning: `${...}` with the build's number,
 * the stage's own variables), creates its steps, runs it and records every step and the stage's end. After every
 * end, and on every pass, it applies what ended stages imply (waiting stages released or skipped, the build's
 * status) from the stored rows, so a stage that ended in another process counts too. A stage it runs that is no
 * longer `running` in the database (cancelled, by whichever process) is stopped on the next pass.
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
  type PlanStage,
  type Repo,
  type RepoStore,
  type RunnerPool,
  type Running,
  type Stage,
  type StageQueueStore,
  type StageRunIds,
  type StepState,
} from '../core/index.ts';
import type { PipelinePlan, PlanOptions } from '../pipeline/index.ts';
import { buildContextOf, type PipelineSource, type SystemFacts } from '../trigger/index.ts';
import { settleBuild } from './settle-build.ts';

export interface StageWorkerDeps {
  queue: StageQueueStore;
  builds: BuildStore;
  repos: RepoStore;
  runner: Pick<RunnerPool, 'runStage' | 'engines'>;
  /** Where a stage's step logs go (stored under the step rows, by step name; then to live followers). */
  logSink(stepIds: ReadonlyMap<string, number>): LogSink;
  plan(file: PipelineSource, context: BuildContext, options: PlanOptions): Promise<PipelinePlan>;
  credentials(repo: Repo): GitCredentials;
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
   * Whether each instance lives (runner's judgeInstances): a running stage whose instance died is ended `error`
   * on start and then once a minute. Without it nothing is recovered.
   */
  alive?: () => Promise<(instance: string) => boolean>;
  /** How long stopping waits for running stages before it kills them (they end `killed`, saying why). */
  stopDeadlineMs?: number;
}

export interface StageWorker extends Running {
  /** Looks at the queue now: a build was just created, approved or cancelled. */
  nudge(): void;
}

const SETTLE_BATCH = 20;
const RECOVERY_INTERVAL_MS = 60_000;

export function startStageWorker(deps: StageWorkerDeps): StageWorker {
  const { queue, clock, logger, holder } = deps;
  const pollMs = deps.pollMs ?? 1_000;
  /** What this process runs; `settled` once the stage's run returned. */
  const running = new Map<Promise<void>, { stage: Stage; abort: AbortController; settled: boolean }>();
  let stopped = false;
  const sleep = createWakeablePause(pollMs);
  const nudge = sleep.wake;

  /** Stages this process may start now: the free slots of the engines that answer, minus what it runs. */
  const freeSlots = () =>
    deps.runner
      .engines()
      .filter((engine) => engine.up)
      .reduce((sum, engine) => sum + engine.capacity, 0) - running.size;

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

  const compile = async (stage: Stage, build: Build, repo: Repo): Promise<PlanStage | string> => {
    const config = await deps.builds.config(build.configSha256);
    if (config === null) return 'the pipeline file of this build is no longer stored';
    const context = buildContextOf({
      origin: build.origin,
      repo,
      system: deps.system,
      number: build.number,
      changedPaths: build.changedPaths,
      createdAt: build.createdAt,
      now: clock.now(),
    });
    const planned = await deps.plan({ source: config, fileName: repo.configPath }, context, {
      trusted: repo.trusted,
    });
    if (planned.error !== null) return planned.error;
    return (
      planned.plan.stages.find((each) => each.name === stage.name) ??
      `the pipeline "${stage.name}" does not run for this build any more`
    );
  };

  const run = async (stage: Stage, signal: AbortSignal) => {
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
    const record = async (state: StepState) => {
      const row = stepRows.get(state.number);
      if (row === undefined) return;
      await queue.updateStep(stage, row, {
        status: state.status,
        exitCode: state.exitCode,
        error: state.error,
        startedAt: state.startedAt ?? 0,
        finishedAt: state.finishedAt ?? 0,
        ...(state.digest === undefined ? {} : { digest: state.digest }),
      });
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
      },
      logs: deps.logSink(new Map([...stepRows.values()].map((step) => [step.name, step.id]))),
      statuses: { step: record },
      signal,
      timeoutMs: repo.timeoutMinutes === null ? deps.defaultTimeoutMs : repo.timeoutMinutes * 60_000,
    });
    const failed = result.steps.find((step) => step.status === 'failure' || step.status === 'error');
    await queue.finishStage(stage, {
      status: result.outcome,
      error: result.error,
      exitCode: failed?.exitCode ?? 0,
      finishedAt: result.finishedAt,
      machine: result.engine ?? '',
    });
    logger.info(`queue: stage ended ${result.outcome}`, {
      repo: repo.fullName,
      build: build.number,
      stage: stage.name,
    });
  };

  const start = (stage: Stage) => {
    const entry = { stage, abort: new AbortController(), settled: false };
    const done: Promise<void> = run(stage, entry.abort.signal)
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

  let recoveredAt = Number.NEGATIVE_INFINITY;
  /** Ends the stages of instances that died, so that no stage stays running forever. */
  const recover = async () => {
    if (deps.alive === undefined || clock.now() - recoveredAt < RECOVERY_INTERVAL_MS) return;
    recoveredAt = clock.now();
    const alive = await deps.alive();
    for (const stage of await queue.running()) {
      if (stage.claimedBy === holder || alive(stage.claimedBy)) continue;
      const reason = `the drone-gogs process that ran this stage (${stage.claimedBy}) stopped; its containers are removed`;
      await queue.abandon(stage, reason, clock.now());
      logger.warn('queue: ended a stage whose process died', { build: stage.buildId, stage: stage.name });
      await progress(stage.buildId);
    }
  };

  const pass = async () => {
    await stopCancelled();
    await recover();
    for (const buildId of await queue.unsettledBuilds(SETTLE_BATCH)) await progress(buildId);
    let free = freeSlots();
    if (free <= 0) return;
    for (const stage of await queue.pending(free)) {
      if (stopped || free <= 0) break;
      if (await queue.claim(stage, holder, '', clock.now())) {
        start(stage);
        await progress(stage.buildId);
        free--;
      }
    }
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
        logger.warn(`queue: stopping: killing ${running.size} stage(s) still running`);
        for (const { abort } of running.values()) abort.abort(new Error('the sidecar stopped'));
        await Promise.all(running.keys());
      }
    },
  };
}
