import {
  AppError,
  type AuditLog,
  type Authorizer,
  describePrincipal,
  type Logger,
  orgSecretScope,
  type Principal,
  principalName,
  type RepoStore,
  repoSecretScope,
  type SecretOwner,
  type SecretService,
  type SecretStore,
  type SecretView,
  type StoredSecret,
  secretPlace,
} from '../core/index.ts';
import type { SecretCipher } from './secret-cipher.ts';
import { orgNameProblem, repoNameProblem, secretNameProblem, secretValueProblem } from './secret-rules.ts';

export interface SecretServiceDeps {
  secrets: SecretStore;
  /** Every change is recorded, by name and rule; never the value. */
  audit: AuditLog;
  /** Asked before a repository's or organisation's secrets are listed or changed. */
  authorizer: Authorizer;
  repos: RepoStore;
  cipher: SecretCipher;
  logger: Logger;
}

/** The owner as a scope, with how messages and commands name it. */
interface ResolvedOwner {
  scope: string;
  /** `alice/app`, `organisation acme`. */
  label: string;
  /** What follows `drone-gogs secret ACTION` to name this owner again. */
  target: string;
  repo: string;
  namespace: string;
  logFields: { repo: string } | { org: string };
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/**
 * Secrets for the CLI and, later, the API. Values are encrypted here, as the hook secrets are in repos/, and the
 * store keeps ciphertexts only; every change is logged with the actor and the name, never the value.
 */
export function createSecretService(deps: SecretServiceDeps): SecretService {
  const { secrets, repos, cipher, logger, audit } = deps;

  /**
   * The owner named, once the actor may manage its secrets (an organisation's: its owners and CI admins).
   * Organisation secrets are keyed by name while roles are keyed by Gogs id: after a rename, whoever owns the
   * name next (and that owner's builds) gets the secrets left under it. Keying them by id needs the owner's id on
   * every repository and a re-encryption (the name is in each value's associated data).
   */
  const resolve = async (actor: Principal, owner: SecretOwner): Promise<ResolvedOwner> => {
    if ('org' in owner) {
      const problem = orgNameProblem(owner.org);
      if (problem !== null) throw new AppError('BAD_REQUEST', problem);
      await deps.authorizer.authorizeOrg(actor, 'manage-secrets', { name: owner.org });
      const org = owner.org.toLowerCase();
      return {
        scope: orgSecretScope(org),
        label: `organisation ${org}`,
        target: `--org ${org}`,
        repo: '',
        namespace: org,
        logFields: { org },
      };
    }
    const problem = repoNameProblem(owner.repo);
    if (problem !== null) throw new AppError('BAD_REQUEST', problem);
    const repo = await repos.findByFullName(owner.repo);
    if (repo === null)
      throw new AppError(
        'NOT_FOUND',
        `${owner.repo} is not known yet; enable it first with \`drone-gogs repo enable ${owner.repo}\``,
      );
    await deps.authorizer.authorize(actor, 'manage-secrets', {
      fullName: repo.fullName,
      private: repo.private,
    });
    return {
      scope: repoSecretScope(repo.gogsId),
      label: repo.fullName,
      target: repo.fullName,
      repo: repo.fullName,
      namespace: '',
      logFields: { repo: repo.fullName },
    };
  };

  /** Built field by field: the ciphertext has no place here. */
  const view = (owner: ResolvedOwner, row: StoredSecret): SecretView => ({
    name: row.name,
    scope: owner.repo === '' ? 'org' : 'repo',
    repo: owner.repo,
    namespace: owner.namespace,
    pull_request: row.pullRequest,
    created_by: row.createdBy,
    created: seconds(row.createdAt),
    updated: seconds(row.updatedAt),
  });

  const checked = <T>(problem: string | null, value: T): T => {
    if (problem !== null) throw new AppError('BAD_REQUEST', problem);
    return value;
  };

  const existing = async (owner: ResolvedOwner, name: string): Promise<StoredSecret> => {
    checked(secretNameProblem(name), name);
    const row = await secrets.find(owner.scope, name);
    if (row === null)
      throw new AppError(
        'NOT_FOUND',
        `${owner.label} has no secret ${name}; add it with \`drone-gogs secret add ${owner.target} ${name}\``,
      );
    return row;
  };

  const by = (actor: Principal) => ({ by: describePrincipal(actor) });

  return {
    async list(actor, owner) {
      const resolved = await resolve(actor, owner);
      return (await secrets.list([resolved.scope])).map((row) => view(resolved, row));
    },

    async add(actor, owner, input) {
      const name = checked(secretNameProblem(input.name), input.name);
      checked(secretValueProblem(input.value), input.value);
      const resolved = await resolve(actor, owner);
      const row = await secrets.add({
        scope: resolved.scope,
        name,
        data: cipher.encrypt(input.value, secretPlace(resolved.scope, name)),
        pullRequest: input.pullRequest,
        createdBy: principalName(actor),
      });
      if (row === null) {
        const held = (await secrets.find(resolved.scope, name))?.name ?? name;
        throw new AppError(
          'CONFLICT',
          `${resolved.label} has a secret ${held} already (names are case-insensitive); change it with \`drone-gogs secret update ${resolved.target} ${held}\``,
        );
      }
      logger.info('secrets: added', {
        ...resolved.logFields,
        secret: row.name,
        pullRequest: row.pullRequest,
        ...by(actor),
      });
      await audit.record({
        actor,
        action: 'secret.add',
        target: resolved.label,
        decision: 'allow',
        detail: { secret: row.name, pull_request: row.pullRequest },
      });
      const warnings: string[] = [];
      if ('org' in owner) {
        const known = await repos.list();
        if (!known.some((repo) => repo.owner.toLowerCase() === resolved.namespace))
          warnings.push(
            `no repository drone-gogs knows belongs to ${resolved.namespace}; its builds are the only ones that see this secret`,
          );
      }
      return { secret: view(resolved, row), warnings };
    },

    async update(actor, owner, name, change) {
      if (change.value === undefined && change.pullRequest === undefined)
        throw new AppError('BAD_REQUEST', 'nothing to change: give a new value or a pull request rule');
      if (change.value !== undefined) checked(secretValueProblem(change.value), change.value);
      const resolved = await resolve(actor, owner);
      const row = await existing(resolved, name);
      const updated = await secrets.update(
        row.id,
        {
          ...(change.value === undefined
            ? {}
            : { data: cipher.encrypt(change.value, secretPlace(resolved.scope, row.name)) }),
          ...(change.pullRequest === undefined ? {} : { pullRequest: change.pullRequest }),
        },
        row.version,
      );
      if (updated === null)
        throw new AppError(
          'CONFLICT',
          `secret ${row.name} of ${resolved.label} was changed or removed by someone else at the same time; try again`,
        );
      logger.info('secrets: updated', {
        ...resolved.logFields,
        secret: updated.name,
        value: change.value === undefined ? 'kept' : 'replaced',
        pullRequest: updated.pullRequest,
        ...by(actor),
      });
      await audit.record({
        actor,
        action: 'secret.update',
        target: resolved.label,
        decision: 'allow',
        detail: {
          secret: updated.name,
          value: change.value === undefined ? 'kept' : 'replaced',
          pull_request: updated.pullRequest,
        },
      });
      return view(resolved, updated);
    },

    async remove(actor, owner, name) {
      const resolved = await resolve(actor, owner);
      const row = await existing(resolved, name);
      await secrets.remove(row.id);
      logger.info('secrets: removed', { ...resolved.logFields, secret: row.name, ...by(actor) });
      await audit.record({
        actor,
        action: 'secret.remove',
        target: resolved.label,
        decision: 'allow',
        detail: { secret: row.name },
      });
      return view(resolved, row);
    },
  };
}
