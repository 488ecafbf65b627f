/**
 * runner/: the Docker executor behind the {@link Runner} interface of core/. The only module that imports dockerode.
 *
 *   const runner = createDockerRunner({ docker: connectDocker(config.dockerHost), logger });
 *   const result = await runner.runStage({ ids, stage, secrets, trusted, workspace, logs, statuses, timeoutMs });
 *
 * With several build hosts, a pool is the runner: `createRunnerPool({ engines: connectEngines(configs), logger })`.
 */
export { connectDocker, type DockerAccess, type DockerTlsFiles } from './docker-connection.ts';
export { createDockerRunner, type DockerRunnerDeps } from './docker-runner.ts';
export {
  connectEngines,
  createRunnerPool,
  DEFAULT_POOL_OPTIONS,
  type DockerEngineConfig,
  type PoolEngine,
  type RunnerPoolDeps,
  type RunnerPoolOptions,
} from './engine-pool.ts';
export { newInstanceId } from './instance-ids.ts';
export { judgeInstances, startInstanceKeeper } from './instance-keeper.ts';
export { createLogHub, type LogHubOptions } from './log-hub.ts';
export { DEFAULT_RUNNER_OPTIONS, type DockerRunnerOptions } from './options.ts';
export { reapDeadInstances } from './reap.ts';
