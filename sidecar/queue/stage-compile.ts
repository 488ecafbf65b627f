/**
 * The runner's half of planning for one claimed stage: the build's stored pipeline file compiled again with the
 * build's number and the stage's own variables, and the stage's compiled plan picked out. Used to run a stage and
 * to re-attach to one whose process died.
 */
import type { Build, BuildContext, BuildStore, Clock, PlanStage, Repo, Stage } from '../core/index.ts';
import type { PipelinePlan, PlanOptions } from '../pipeline/index.ts';
import { buildContextOf, type PipelineSource, type SystemFacts } from '../trigger/index.ts';

export interface StageCompileDeps {
  builds: Pick<BuildStore, 'config'>;
  plan(file: PipelineSource, context: BuildContext, options: PlanOptions): Promise<PipelinePlan>;
  system: SystemFacts;
  clock: Clock;
}

/** The stage's compiled plan, or why it cannot run (said as it goes into the stage's error). */
export async function compileStage(
  deps: StageCompileDeps,
  stage: Stage,
  build: Build,
  repo: Repo,
): Promise<PlanStage | string> {
  const config = await deps.builds.config(build.configSha256);
  if (config === null) return 'the pipeline file of this build is no longer stored';
  const context = buildContextOf({
    origin: build.origin,
    repo,
    system: deps.system,
    number: build.number,
    changedPaths: build.changedPaths,
    createdAt: build.createdAt,
    now: deps.clock.now(),
  });
  const planned = await deps.plan({ source: config, fileName: repo.configPath }, context, {
    trusted: repo.trusted,
  });
  if (planned.error !== null) return planned.error;
  return (
    planned.plan.stages.find((each) => each.name === stage.name) ??
    `the pipeline "${stage.name}" does not run for this build any more`
  );
}
