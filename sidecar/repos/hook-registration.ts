import {
  AppError,
  type BranchHeadStore,
  type Clock,
  type GogsClient,
  type GogsHook,
  type GogsRepo,
  type HookUrlFinding,
  hookSecretPlace,
  type Logger,
  previousHookSecretPlace,
  type Repo,
  type RepoStore,
} from '../core/index.ts';
import { generateHookSecret, type SecretCipher } from '../secrets/index.ts';

/** The events drone-gogs asks Gogs for (always sent in full: Gogs resets a hook to push-only when omitted). */
export const HOOK_EVENTS = ['create', 'delete', 'push', 'pull_request', 'issue_comment', 'release'];

export interface HookRegistrarDeps {
  gogs: GogsClient;
  repos: RepoStore;
  branchHeads: BranchHeadStore;
  cipher: SecretCipher;
  clock: Clock;
  logger: Logger;
  /** The URL Gogs calls; each hook gets `?repo=<gogs id>` appended. */
  hookUrl: string;
  secretGraceMs: number;
  diagnose: (hookUrl: string) => Promise<HookUrlFinding[]>;
}

export interface EnableResult {
  repo: Repo;
  hook: GogsHook;
  replacedHookIds: number[];
  findings: HookUrlFinding[];
}

export interface RepairResult {
  repo: Repo;
  /** What was fixed, in words; empty when the hook was healthy. */
  actions: string[];
}

/**
 * Registers, repairs, rotates and removes drone-gogs' webhook on Gogs repositories. Gogs ignores `secret`
 * on PATCH, so every secret change is a delete and a create; the previous secret stays valid for the grace
 * period so deliveries already queued in Gogs still verify.
 */
export function createHookRegistrar(deps: HookRegistrarDeps) {
  const { gogs, repos, cipher, clock, logger } = deps;

  const urlFor = (gogsId: number) => {
    const url = new URL(deps.hookUrl);
    url.searchParams.set('repo', String(gogsId));
    return url.href;
  };
  const baseOf = (url: string) => url.replace(/[?#].*$/, '');
  const isOurs = (hook: GogsHook, repo: Repo | null) =>
    hook.id === repo?.hookId ||
    baseOf(hook.config.url) === baseOf(deps.hookUrl) ||
    (repo?.hookUrl != null && baseOf(hook.config.url) === baseOf(repo.hookUrl));

  const fetchAdminRepo = async (fullName: string): Promise<GogsRepo> => {
    const [owner, name] = splitFullName(fullName);
    const remote = await gogs.getRepo(owner, name);
    if (remote.permissions && !remote.permissions.admin) {
      const user = await gogs.currentUser().catch(() => null);
      throw new AppError(
        'GOGS_FORBIDDEN',
        `the Gogs user of the sidecar's token (DRONE_GOGS_GOGS_TOKEN or its token file)${user ? ` (${user.username})` : ''} is not an admin of ${remote.full_name}; managing webhooks needs admin rights on the repository`,
      );
    }
    return remote;
  };

  const createHook = (repo: Repo, secret: string) =>
    gogs.createHook(repo.owner, repo.name, {
      type: 'gogs',
      config: { url: urlFor(repo.gogsId), content_type: 'json', secret },
      events: HOOK_EVENTS,
      active: true,
    });

  const deleteHooks = async (repo: Repo, hooks: GogsHook[]) => {
    for (const hook of hooks) await gogs.deleteHook(repo.owner, repo.name, hook.id);
    return hooks.map((hook) => hook.id);
  };

  /**
   * The current secret re-encrypted for the previous-secret column (its ciphertext is bound to its column);
   * null when there is none, or when it does not decrypt (it would verify nothing).
   */
  const previousSecretOf = (repo: Repo): string | null => {
    if (!repo.hookSecret) return null;
    try {
      const secret = cipher.decrypt(repo.hookSecret, hookSecretPlace(repo.gogsId));
      return cipher.encrypt(secret, previousHookSecretPlace(repo.gogsId));
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'DECRYPT_FAILED') throw error;
      logger.warn(`hooks: the replaced secret does not decrypt; no grace period: ${error.message}`, {
        repo: repo.fullName,
      });
      return null;
    }
  };

  /** Replaces every hook of ours on the repository with one carrying a fresh secret. */
  const replaceHook = async (repo: Repo, existing: GogsHook[]) => {
    const replacedHookIds = await deleteHooks(
      repo,
      existing.filter((hook) => isOurs(hook, repo)),
    );
    const secret = generateHookSecret();
    const previous = previousSecretOf(repo);
    const hook = await createHook(repo, secret);
    const updated = await repos.update(repo.id, {
      active: true,
      hookId: hook.id,
      hookUrl: hook.config.url,
      hookSecret: cipher.encrypt(secret, hookSecretPlace(repo.gogsId)),
      previousHookSecret: previous,
      previousHookSecretUntil: previous ? clock.now() + deps.secretGraceMs : null,
    });
    return { repo: updated, hook, replacedHookIds };
  };

  const recordBranchBaseline = async (repo: Repo) => {
    const now = clock.now();
    for (const branch of await gogs.listBranches(repo.owner, repo.name)) {
      await deps.branchHeads.put({
        repoId: repo.id,
        branch: branch.name,
        sha: branch.commit.id,
        previousSha: '',
        status: 'seen',
        observedAt: now,
      });
    }
  };

  const knownRepo = async (fullName: string): Promise<Repo> => {
    const repo = await repos.findByFullName(fullName);
    if (!repo) throw new AppError('NOT_FOUND', `${fullName} is not known to drone-gogs; enable it first`);
    return repo;
  };

  const selectActive = async (fullName?: string) =>
    fullName === undefined ? repos.list({ active: true }) : [await knownRepo(fullName)];

  return {
    async enable(fullName: string, options: { force?: boolean } = {}): Promise<EnableResult> {
      const remote = await fetchAdminRepo(fullName);
      const findings = await deps.diagnose(urlFor(remote.id));
      const blocking = findings.filter((finding) => finding.severity === 'error');
      if (blocking.length > 0 && !options.force) {
        throw new AppError(
          'BAD_REQUEST',
          `Gogs could not deliver to ${deps.hookUrl}:\n${blocking.map((f) => `  - ${f.problem}\n    fix: ${f.fix}`).join('\n')}\n(use --force to register it anyway)`,
        );
      }
      const repo = await repos.upsertFacts(factsOf(remote));
      const existing = await gogs.listHooks(repo.owner, repo.name);
      const replaced = await replaceHook(repo, existing);
      await recordBranchBaseline(replaced.repo);
      logger.info('hooks: repository enabled', { repo: repo.fullName, hook_id: replaced.hook.id });
      return { ...replaced, findings };
    },

    async disable(fullName: string): Promise<{ repo: Repo; removedHookIds: number[] }> {
      const repo = await knownRepo(fullName);
      const existing = await gogs.listHooks(repo.owner, repo.name).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'GOGS_NOT_FOUND') return [];
        throw error;
      });
      const removedHookIds = await deleteHooks(
        repo,
        existing.filter((hook) => isOurs(hook, repo)),
      );
      const updated = await repos.update(repo.id, {
        active: false,
        hookId: null,
        hookSecret: null,
        previousHookSecret: null,
        previousHookSecretUntil: null,
      });
      logger.info('hooks: repository disabled', { repo: repo.fullName });
      return { repo: updated, removedHookIds };
    },

    async repair(fullName?: string): Promise<RepairResult[]> {
      const results: RepairResult[] = [];
      for (const stale of await selectActive(fullName)) {
        const repo = await repos.upsertFacts(factsOf(await fetchAdminRepo(stale.fullName)));
        const actions: string[] = [];
        const hooks = (await gogs.listHooks(repo.owner, repo.name)).filter((hook) => isOurs(hook, repo));
        const keep = hooks.find((hook) => hook.id === repo.hookId) ?? hooks[0];
        const extras = hooks.filter((hook) => hook !== keep);
        if (extras.length > 0) {
          await deleteHooks(repo, extras);
          actions.push(
            `removed ${extras.length} duplicate hook(s): ${extras.map((hook) => hook.id).join(', ')}`,
          );
        }
        if (!keep || !repo.hookSecret) {
          const replaced = await replaceHook(repo, []);
          actions.push(`registered a new hook (#${replaced.hook.id}) with a fresh secret`);
          results.push({ repo: replaced.repo, actions });
          continue;
        }
        const wanted = urlFor(repo.gogsId);
        const missingEvents = HOOK_EVENTS.filter((event) => !keep.events.includes(event));
        const wrong = [
          keep.config.url !== wanted && `URL was ${keep.config.url}`,
          keep.config.content_type !== 'json' && `content type was ${keep.config.content_type}`,
          !keep.active && 'it was inactive',
          missingEvents.length > 0 && `events ${missingEvents.join(', ')} were missing`,
        ].filter((reason): reason is string => typeof reason === 'string');
        if (wrong.length > 0) {
          await gogs.editHook(repo.owner, repo.name, keep.id, {
            config: { url: wanted, content_type: 'json' },
            events: HOOK_EVENTS,
            active: true,
          });
          actions.push(`fixed hook #${keep.id}: ${wrong.join('; ')}`);
        }
        const updated =
          repo.hookId === keep.id && repo.hookUrl === wanted
            ? repo
            : await repos.update(repo.id, { hookId: keep.id, hookUrl: wanted });
        results.push({ repo: updated, actions });
      }
      return results;
    },

    async rotate(fullName?: string): Promise<{ repo: Repo; hook: GogsHook }[]> {
      const rotated: { repo: Repo; hook: GogsHook }[] = [];
      for (const repo of await selectActive(fullName)) {
        const existing = await gogs.listHooks(repo.owner, repo.name);
        const replaced = await replaceHook(repo, existing);
        logger.info('hooks: secret rotated', { repo: repo.fullName, hook_id: replaced.hook.id });
        rotated.push({ repo: replaced.repo, hook: replaced.hook });
      }
      return rotated;
    },
  };
}

export type HookRegistrar = ReturnType<typeof createHookRegistrar>;

export function splitFullName(fullName: string): [string, string] {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(fullName.trim());
  if (!match) throw new AppError('BAD_REQUEST', `"${fullName}" is not OWNER/NAME`);
  return [match[1]!, match[2]!.replace(/\.git$/, '')];
}

function factsOf(remote: GogsRepo) {
  const [owner, name] = splitFullName(remote.full_name);
  return {
    gogsId: remote.id,
    owner,
    name,
    fullName: remote.full_name,
    private: remote.private,
    defaultBranch: remote.default_branch || 'master',
    cloneUrl: remote.clone_url,
    htmlUrl: remote.html_url,
  };
}
