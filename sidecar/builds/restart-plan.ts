/**
 * A restart as a new build: the origin, stored pipeline file and changed files of the build it restarts,
 * planned again (with the repository's trust and file name as they are now), and never blocked, as whoever may
 * restart may approve. A file that no longer plans gives an errored build, as a push of it would.
 */
import {
  AppError,
  type Build,
  type BuildContext,
  type BuildStore,
  type NewBuild,
  type Repo,
} from '../core/index.ts';
import type { PipelinePlan, PlanOptions } from '../pipeline/index.ts';
import { buildContextOf, newStagesOf, type PipelineSource, type SystemFacts } from '../trigger/index.ts';

export interface RestartPlanDeps {
  builds: BuildStore;
  plan(file: PipelineSource, context: BuildContext, options: PlanOptions): Promise<PipelinePlan>;
  system: SystemFacts;
}

export async function restartOf(
  old: Build,
  repo: Repo,
  idempotencyKey: string,
  now: number,
  deps: RestartPlanDeps,
): Promise<NewBuild> {
  const base = {
    repoId: repo.id,
    idempotencyKey,
    origin: old.origin,
    parent: old.number,
    changedPaths: old.changedPaths,
  };
  if (old.configSha256 === '')
    return {
      ...base,
      config: '',
      status: 'error',
      error: old.error ?? 'no pipeline file was read for this build',
      stages: [],
    };
  const config = await deps.builds.config(old.configSha256);
  if (config === null)
    throw new AppError(
      'BAD_REQUEST',
      `the pipeline file of build #${old.number} is no longer stored; push again to build the commit`,
    );
  const context = buildContextOf({
    origin: old.origin,
    repo,
    system: deps.system,
    number: 0,
    changedPaths: old.changedPaths,
    createdAt: now,
    now,
  });
  const planned = await deps.plan({ source: config, fileName: repo.configPath }, context, {
    trusted: repo.trusted,
  });
  if (planned.error !== null) return { ...base, config, status: 'error', error: planned.error, stages: [] };
  const running = planned.pipelines.filter((pipeline) => pipeline.runs);
  if (running.length === 0)
    throw new AppError(
      'BAD_REQUEST',
      `no pipeline of build #${old.number} runs for it now (${planned.pipelines.map((pipeline) => `${pipeline.name}: ${pipeline.skipReason}`).join('; ') || 'the file has none'}); nothing to restart`,
    );
  return {
    ...base,
    config,
    status: 'pending',
    error: null,
    stages: newStagesOf(
      running.map((pipeline) => pipeline.stage),
      false,
    ),
  };
}
