/**
 * Recovery of the stages of processes that died: each stage still `running` in the database under an instance
 * that no longer lives is taken over by one survivor (a conditional update, so two survivors never both take it),
 * which re-attaches to the step containers still there on the engine, keeps recording steps and logs where the
 * store left off, and ends the stage as a normal run would; a stage with nothing left to follow is ended `error`
 * with the reason. Reaping (runner/) leaves alone the resources of stages that are running in the database, so it
 * never removes what a survivor follows; once the stage has ended, what is left of it goes.
 */
import {
  type Build,
  type BuildStore,
  type Clock,
  FINAL_STATUSES,
  type Logger,
  type LogSink,
  type PlanStage,
  type Repo,
  type RepoStore,
  type Runner,
  type Stage,
  type StageQueueStore,
  type StageRunIds,
  type Step,
  type StepState,
} from '../core/index.ts';
import { stageEndOf, stepRecorder } from './run-recording.ts';

export interface StageRecoveryDeps {
  queue: StageQueueStore;
  builds: Pick<BuildStore, 'get'>;
  repos: Pick<RepoStore, 'findById'>;
  runner: Pick<Runner, 'recoverStage'>;
  compile(stage: Stage, build: Build, repo: Repo): Promise<PlanStage | string>;
  logSink(stepIds: ReadonlyMap<string, number>): LogSink;
  /** The highest stored log line of the step; -1 when it has none. */
  lastLine(stepId: number): Promise<number>;
  secretsFor?(repo: Repo, build: Build): Promise<Readonly<Record<string, string>>>;
  /** This instance: who takes the stages over. */
  holder: string;
  clock: Clock;
  logger: Logger;
}

/** A stage this process took over, and the instance that ran it (whose labels its containers carry). */
export interface TakenStage {
  stage: Stage;
  from: string;
}

/** Takes over every running stage whose instance is not `alive`; returns those this process got. */
export async function takeOverDeadStages(
  deps: Pick<StageRecoveryDeps, 'queue' | 'holder' | 'clock' | 'logger'>,
  alive: (instance: string) => boolean,
): Promise<TakenStage[]> {
  const taken: TakenStage[] = [];
  for (const stage of await deps.queue.running()) {
    if (stage.claimedBy === deps.holder || alive(stage.claimedBy)) continue;
    const mine = await deps.queue.takeOver(stage, deps.holder, deps.clock.now());
    if (mine === null) continue;
    deps.logger.warn('queue: took over a stage whose process died', {
      build: stage.buildId,
      stage: stage.name,
      instance: stage.claimedBy,
    });
    taken.push({ stage: mine, from: stage.claimedBy });
  }
  return taken;
}

function stateOf(row: Step): StepState {
  return {
    name: row.name,
    number: row.number,
    status: row.status,
    exitCode: row.exitCode,
    startedAt: row.startedAt || null,
    finishedAt: row.finishedAt || null,
    error: row.error,
  };
}

/**
 * Re-attaches to a taken-over stage and ends it: the runner's outcome, or `error` with the reason when the
 * stage cannot be followed (its containers are gone, its file is no longer stored). Does not reject for the stage's
 * own failures; store errors propagate.
 */
export async function reattachStage(
  deps: StageRecoveryDeps,
  taken: TakenStage,
  signal: AbortSignal,
  leave?: AbortSignal,
): Promise<void> {
  const { queue, clock, logger } = deps;
  const { stage, from } = taken;
  const end = (reason: string) => queue.abandon(stage, reason, clock.now());
  const stopped = `the drone-gogs process that ran this stage (${from}) stopped`;
  const [found, repo] = await Promise.all([
    deps.builds.get(stage.buildId),
    deps.repos.findById(stage.repoId),
  ]);
  if (found === null || repo === null) return end(`${stopped}; the build or its repository is gone`);
  const compiled = await deps.compile(stage, found.build, repo);
  if (typeof compiled === 'string')
    return end(`${stopped} and the stage cannot be followed again: ${compiled}`);
  let secrets: Readonly<Record<string, string>>;
  try {
    secrets = (await deps.secretsFor?.(repo, found.build)) ?? {};
  } catch (error) {
    return end(`${stopped} and its secrets cannot be read again: ${(error as Error).message}`);
  }
  const rows = found.stages.find((each) => each.id === stage.id)?.steps ?? [];
  const ended = rows.filter((row) => FINAL_STATUSES.has(row.status)).map(stateOf);
  const logPositions: Record<string, number> = {};
  for (const row of rows)
    if (!FINAL_STATUSES.has(row.status)) logPositions[row.name] = (await deps.lastLine(row.id)) + 1;
  const ids: StageRunIds = {
    instance: from,
    repo: repo.fullName,
    build: String(found.build.number),
    stage: String(stage.number),
  };
  logger.info('queue: re-attaching to a stage whose process died', {
    repo: repo.fullName,
    build: found.build.number,
    stage: stage.name,
  });
  const result = await deps.runner.recoverStage({
    ids,
    stage: compiled,
    secrets,
    logPositions,
    endedSteps: ended,
    logs: deps.logSink(new Map(rows.map((row) => [row.name, row.id]))),
    statuses: stepRecorder(queue, stage, new Map(rows.map((row) => [row.number, row]))),
    mode: 'follow',
    signal,
    ...(leave === undefined ? {} : { leave }),
  });
  if (result.left) {
    logger.warn('queue: left a re-attached stage running for recovery', {
      repo: repo.fullName,
      build: found.build.number,
      stage: stage.name,
    });
    return;
  }
  if (result.outcome === 'error') {
    // Also closes the steps the runner could not report (nothing of the stage was left to look at).
    await end(result.error ?? stopped);
  } else {
    await queue.finishStage(stage, stageEndOf(result, stage.machine));
  }
  logger.info(`queue: recovered stage ended ${result.outcome}`, {
    repo: repo.fullName,
    build: found.build.number,
    stage: stage.name,
  });
}

/**
 * Whether a stage's resources (by the ids they carry, whatever the instance) belong to a stage that is running in
 * the database, judged now: what reaping must leave to recovery.
 */
export async function stagesRunningInDatabase(
  deps: Pick<StageRecoveryDeps, 'queue' | 'builds' | 'repos'>,
): Promise<(ids: StageRunIds) => boolean> {
  const key = (ids: Pick<StageRunIds, 'repo' | 'build' | 'stage'>) =>
    JSON.stringify([ids.repo, ids.build, ids.stage]);
  const keys = new Set<string>();
  for (const stage of await deps.queue.running()) {
    const [found, repo] = await Promise.all([
      deps.builds.get(stage.buildId),
      deps.repos.findById(stage.repoId),
    ]);
    if (found === null || repo === null) continue;
    keys.add(key({ repo: repo.fullName, build: String(found.build.number), stage: String(stage.number) }));
  }
  return (ids) => keys.has(key(ids));
}
