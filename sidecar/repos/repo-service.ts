import {
  AppError,
  describePrincipal,
  type Logger,
  type Principal,
  type RepoService,
  type RepoStore,
} from '../core/index.ts';
import type { HookRegistrar } from './hook-registration.ts';
import { settingsProblem } from './repo-settings.ts';
import { repoView } from './repo-view.ts';

export interface RepoServiceDeps {
  repos: RepoStore;
  /** The webhook side on Gogs; throws CONFIG_INVALID when the Gogs API is not configured. */
  registrar: () => HookRegistrar;
  /** The stage timeout of repositories without their own. */
  defaultTimeoutMinutes: number;
  logger: Logger;
}

/** Repositories for the CLI and, later, the API: the actor is named in the log of every change. */
export function createRepoService(deps: RepoServiceDeps): RepoService {
  const { repos, logger } = deps;
  const by = (actor: Principal) => ({ by: describePrincipal(actor) });

  return {
    async list() {
      return (await repos.list()).map(repoView);
    },

    async enable(actor, fullName, options = {}) {
      const result = await deps.registrar().enable(fullName, options);
      logger.info('repos: enabled', { repo: result.repo.fullName, ...by(actor) });
      return {
        repo: repoView(result.repo),
        hookId: result.hook.id,
        hookUrl: result.hook.config.url,
        replacedHookIds: result.replacedHookIds,
        findings: result.findings,
      };
    },

    async disable(actor, fullName) {
      const result = await deps.registrar().disable(fullName);
      logger.info('repos: disabled', { repo: result.repo.fullName, ...by(actor) });
      return { repo: repoView(result.repo), removedHookIds: result.removedHookIds };
    },

    async repair(actor, fullName) {
      const results = await deps.registrar().repair(fullName);
      for (const { repo, actions } of results)
        if (actions.length > 0) logger.info('repos: repaired', { repo: repo.fullName, ...by(actor) });
      return results.map(({ repo, actions }) => ({ repo: repoView(repo), actions }));
    },

    async rotateHookSecrets(actor, fullName) {
      const rotated = await deps.registrar().rotate(fullName);
      for (const { repo } of rotated)
        logger.info('repos: webhook secret rotated', { repo: repo.fullName, ...by(actor) });
      return rotated.map(({ repo, hook }) => ({ repo: repoView(repo), hookId: hook.id }));
    },

    async changeSettings(actor, fullName, change) {
      const problem = settingsProblem(change);
      if (problem !== null) throw new AppError('BAD_REQUEST', problem);
      const repo = await repos.findByFullName(fullName);
      if (repo === null)
        throw new AppError(
          'NOT_FOUND',
          `${fullName} is not known yet; enable it first with \`drone-gogs repo enable ${fullName}\``,
        );
      const updated = await repos.update(repo.id, change, repo.version);
      logger.info('repos: settings changed', { repo: updated.fullName, ...by(actor), ...change });
      return {
        repo: repoView(updated),
        warnings:
          change.trusted === true && !repo.trusted
            ? [
                `pipelines of ${updated.fullName} may now run privileged containers, mount host paths and devices, and use the host's network`,
              ]
            : [],
        effectiveTimeoutMinutes: updated.timeoutMinutes ?? deps.defaultTimeoutMinutes,
      };
    },
  };
}
