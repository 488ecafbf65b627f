/**
 * runner/: the Docker executor behind the {@link Runner} interface of core/. The only module that imports dockerode.
 *
 *   const runner = createDockerRunner({ docker: connectDocker(config.dockerHost), logger });
 *   const result = await runner.runStage({ ids, stage, secrets, trusted, workspace, logs, statuses, timeoutMs });
 */
export { connectDocker } from './docker-connection.ts';
export { createDockerRunner, type DockerRunnerDeps } from './docker-runner.ts';
export { DEFAULT_RUNNER_OPTIONS, type DockerRunnerOptions } from './options.ts';
