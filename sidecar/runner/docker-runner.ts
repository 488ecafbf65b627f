/** The {@link Runner} on a Docker engine: each stage in its own labelled network and volumes, removed afterwards. */
import type Docker from 'dockerode';
import type { Logger, Runner, StageResult, StageRun } from '../core/index.ts';
import { selectorOf } from './labels.ts';
import { DEFAULT_RUNNER_OPTIONS, type DockerRunnerOptions } from './options.ts';
import { StageExecution } from './stage-execution.ts';
import { freshStageNetworks, type StageNetworks } from './stage-networks.ts';
import { recoverDockerStage } from './stage-recovery.ts';
import { removeLabelled, resourceOwners, resourceStages } from './stage-resources.ts';

export interface DockerRunnerDeps {
  docker: Docker;
  logger: Logger;
  options?: Partial<DockerRunnerOptions>;
}

/**
 * Runs the stage and removes its resources. `engineLost` (from a pool's health checks) ends the stage `error` at
 * once instead of waiting on requests a dead engine never answers.
 */
export async function runDockerStage(
  deps: { docker: Docker; logger: Logger; options: DockerRunnerOptions; networks?: StageNetworks },
  run: StageRun,
  engineLost?: AbortSignal,
): Promise<StageResult> {
  const { docker, logger } = deps;
  const networks = deps.networks ?? freshStageNetworks(docker);
  const execution = new StageExecution({ ...deps, networks, ...(engineLost ? { engineLost } : {}) }, run);
  let left = false;
  try {
    const result = await execution.execute();
    left = result.left === true;
    return result;
  } finally {
    // A stage left to recovery keeps running on the engine: its resources are what recovery re-attaches to.
    if (!left) {
      await removeLabelled(docker, selectorOf(run.ids)).catch((error: unknown) => {
        logger.error('runner: cannot remove the resources of a stage', {
          repo: run.ids.repo,
          build: run.ids.build,
          stage: run.ids.stage,
          error: String(error),
        });
      });
      await networks.release(run.ids);
    }
  }
}

export function createDockerRunner(deps: DockerRunnerDeps): Runner {
  const options: DockerRunnerOptions = { ...DEFAULT_RUNNER_OPTIONS, ...deps.options };
  const { docker, logger } = deps;
  return {
    runStage: (run: StageRun) => runDockerStage({ docker, logger, options }, run),
    removeResources: (selector) => removeLabelled(docker, selector),
    recoverStage: (recovery) => recoverDockerStage({ docker, logger, options }, recovery),
    resourceOwners: () => resourceOwners(docker),
    resourceStages: () => resourceStages(docker),
  };
}
