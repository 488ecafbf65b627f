/** The {@link Runner} on a Docker engine: each stage in its own labelled network and volumes, removed afterwards. */
import type Docker from 'dockerode';
import type { Logger, Runner, StageResult, StageRun } from '../core/index.ts';
import { selectorOf } from './labels.ts';
import { DEFAULT_RUNNER_OPTIONS, type DockerRunnerOptions } from './options.ts';
import { StageExecution } from './stage-execution.ts';
import { removeLabelled, resourceOwners } from './stage-resources.ts';

export interface DockerRunnerDeps {
  docker: Docker;
  logger: Logger;
  options?: Partial<DockerRunnerOptions>;
}

export function createDockerRunner(deps: DockerRunnerDeps): Runner {
  const options: DockerRunnerOptions = { ...DEFAULT_RUNNER_OPTIONS, ...deps.options };
  const { docker, logger } = deps;
  return {
    async runStage(run: StageRun): Promise<StageResult> {
      const execution = new StageExecution({ docker, options, logger }, run);
      try {
        return await execution.execute();
      } finally {
        await removeLabelled(docker, selectorOf(run.ids)).catch((error: unknown) => {
          logger.error('runner: cannot remove the resources of a stage', {
            repo: run.ids.repo,
            build: run.ids.build,
            stage: run.ids.stage,
            error: String(error),
          });
        });
      }
    },
    removeResources: (selector) => removeLabelled(docker, selector),
    resourceOwners: () => resourceOwners(docker),
  };
}
