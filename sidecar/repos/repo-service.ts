import {
  AppError,
  type AuditAction,
  type AuditDetail,
  type AuditLog,
  type Authorizer,
  type DeliveryStore,
  describePrincipal,
  type Logger,
  MAX_DELIVERY_LIST,
  type Principal,
  type Repo,
  type RepoChange,
  type RepoService,
  type RepoSettingsChange,
  type RepoStore,
} from '../core/index.ts';
import type { HookRegistrar } from './hook-registration.ts';
import { changedAllowList, MAX_ALLOW_LIST, settingsProblem } from './repo-settings.ts';
import { deliveryView, repoView } from './repo-view.ts';

export interface RepoServiceDeps {
  repos: RepoStore;
  deliveries: Pick<DeliveryStore, 'recent'>;
  /** The webhook side on Gogs; throws CONFIG_INVALID when the Gogs API is not configured. */
  registrar: () => HookRegistrar;
  /** The stage timeout of repositories without their own. */
  defaultTimeoutMinutes: number;
  logger: Logger;
  /** Enabling, disabling, repairs, rotations and settings changes are recorded here. */
  audit: AuditLog;
  /** Asked before a repository is changed or its deliveries shown. */
  authorizer: Authorizer;
}

/** Repositories for the CLI and, later, the API: the actor is named in the log of every change. */
export function createRepoService(deps: RepoServiceDeps): RepoService {
  const { repos, logger, audit } = deps;
  const by = (actor: Principal) => ({ by: describePrincipal(actor) });
  /**
   * The actor may manage the repository: one known here as it is; one not known yet as if private (what Gogs says
   * of it comes later); every repository at once (repair, rotate without a name) needs a CI admin.
   */
  const mayManage = async (actor: Principal, named: Repo | string | undefined): Promise<void> => {
    if (named === undefined) return deps.authorizer.authorize(actor, 'admin', null);
    const repo = typeof named === 'string' ? await repos.findByFullName(named) : named;
    await deps.authorizer.authorize(actor, 'manage-repo', {
      fullName: repo?.fullName ?? String(named),
      private: repo?.private ?? true,
    });
  };
  const allowed = (actor: Principal, action: AuditAction, target: string, detail: AuditDetail = {}) =>
    audit.record({ actor, action, target, decision: 'allow', detail });

  return {
    async list(actor) {
      // Everything drone-gogs knows, for CI admins; people get the repositories they may view with the API.
      await deps.authorizer.authorize(actor, 'admin', null);
      return (await repos.list()).map(repoView);
    },

    async enable(actor, fullName, options = {}) {
      await mayManage(actor, fullName);
      const result = await deps.registrar().enable(fullName, options);
      logger.info('repos: enabled', { repo: result.repo.fullName, ...by(actor) });
      await allowed(actor, 'repo.enable', result.repo.fullName, {
        hook: result.hook.id,
        replaced_hooks: result.replacedHookIds.join(','),
      });
      return {
        repo: repoView(result.repo),
        hookId: result.hook.id,
        hookUrl: result.hook.config.url,
        replacedHookIds: result.replacedHookIds,
        findings: result.findings,
      };
    },

    async disable(actor, fullName) {
      await mayManage(actor, fullName);
      const result = await deps.registrar().disable(fullName);
      logger.info('repos: disabled', { repo: result.repo.fullName, ...by(actor) });
      await allowed(actor, 'repo.disable', result.repo.fullName, {
        removed_hooks: result.removedHookIds.join(','),
      });
      return { repo: repoView(result.repo), removedHookIds: result.removedHookIds };
    },

    async repair(actor, fullName) {
      await mayManage(actor, fullName);
      const results = await deps.registrar().repair(fullName);
      for (const { repo, actions } of results)
        if (actions.length > 0) {
          logger.info('repos: repaired', { repo: repo.fullName, ...by(actor) });
          await allowed(actor, 'repo.repair', repo.fullName, { actions: actions.length });
        }
      return results.map(({ repo, actions }) => ({ repo: repoView(repo), actions }));
    },

    async rotateHookSecrets(actor, fullName) {
      await mayManage(actor, fullName);
      const rotated = await deps.registrar().rotate(fullName);
      for (const { repo, hook } of rotated) {
        logger.info('repos: webhook secret rotated', { repo: repo.fullName, ...by(actor) });
        await allowed(actor, 'hook.rotate', repo.fullName, { hook: hook.id });
      }
      return rotated.map(({ repo, hook }) => ({ repo: repoView(repo), hookId: hook.id }));
    },

    async changeSettings(actor, fullName, change) {
      const problem = settingsProblem(change);
      if (problem !== null) throw new AppError('BAD_REQUEST', problem);
      const repo = await known(fullName);
      await mayManage(actor, repo);
      const stored = storedChange(repo, change);
      const updated = await repos.update(repo.id, stored, repo.version);
      const { approvalAllowList, ...fields } = stored;
      logger.info('repos: settings changed', {
        repo: updated.fullName,
        ...by(actor),
        ...fields,
        ...(approvalAllowList === undefined ? {} : { approvalAllowList: approvalAllowList.join(',') }),
      });
      await allowed(actor, 'repo.settings', updated.fullName, {
        ...auditFields(fields),
        ...(approvalAllowList === undefined ? {} : { approval_allow_list: approvalAllowList.join(',') }),
      });
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

    async deliveries(actor, fullName, { limit }) {
      if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_DELIVERY_LIST))
        throw new AppError(
          'BAD_REQUEST',
          `--limit takes a number of deliveries from 1 to ${MAX_DELIVERY_LIST}`,
        );
      const repo = await known(fullName);
      await mayManage(actor, repo);
      return (await deps.deliveries.recent(repo.id, limit)).map(deliveryView);
    },
  };

  async function known(fullName: string): Promise<Repo> {
    const repo = await repos.findByFullName(fullName);
    if (repo === null)
      throw new AppError(
        'NOT_FOUND',
        `${fullName} is not known yet; enable it first with \`drone-gogs repo enable ${fullName}\``,
      );
    return repo;
  }
}

/** The stored columns a settings change sets: the allow-list as it will be after adding and removing. */
function storedChange(repo: Repo, change: RepoSettingsChange): RepoChange {
  const { approvalAllowListAdd, approvalAllowListRemove, ...direct } = change;
  if (approvalAllowListAdd === undefined && approvalAllowListRemove === undefined) return direct;
  const approvalAllowList = changedAllowList(repo.approvalAllowList, change);
  if (approvalAllowList.length > MAX_ALLOW_LIST)
    throw new AppError(
      'BAD_REQUEST',
      `the approval allow-list of ${repo.fullName} would hold ${approvalAllowList.length} users; at most ${MAX_ALLOW_LIST} (remove some with --no-approve-user)`,
    );
  return { ...direct, approvalAllowList };
}

/** The changed settings as audit facts: scalars as they are, anything else as JSON. */
function auditFields(fields: Record<string, unknown>): AuditDetail {
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [
        name,
        value === null || ['string', 'number', 'boolean'].includes(typeof value)
          ? (value as string | number | boolean | null)
          : JSON.stringify(value),
      ]),
  );
}
