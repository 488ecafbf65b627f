import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { auditKeyOf, createAuditLog, createAuditService } from './audit/index.ts';
import { createBuildService } from './builds/index.ts';
import {
  type Config,
  createGogsTokenProvider,
  createSecretKeyFiles,
  ensureSecretKey,
  insecureEngineWarnings,
  readSecretKeySet,
} from './config/index.ts';
import {
  AppError,
  type AuditLog,
  type AuditService,
  type Authorizer,
  type BuildService,
  type Clock,
  type Counters,
  type Delivery,
  type GitCredentials,
  type GogsClient,
  type Logger,
  type LoginService,
  type OidcProviderService,
  type Repo,
  type RepoService,
  type RepositoryCache,
  type RunnerPool,
  type Running,
  repositoryCacheKey,
  type SecretKeyFiles,
  type SecretKeyRotation,
  type SecretService,
  type SessionService,
  type Stores,
  systemClock,
  type TokenService,
  type WorkloadTokenIssuer,
} from './core/index.ts';
import { createGitRemote } from './git/index.ts';
import { createGogsClient, createGogsTokenIssuer } from './gogs/index.ts';
import { createHttpApp, serveHttp } from './http/index.ts';
import {
  createAuthorizer,
  createGogsAccounts,
  createLoginService,
  createOidcProviderRegistry,
  createOidcProviderService,
  createOrgRoleSync,
  createPermissionSync,
  createPusherCheck,
  createSessionPrincipals,
  createSessionService,
  createTokenService,
  createWorkloadTokenIssuer,
  NO_ACCESS,
} from './identity/index.ts';
import {
  cancelSuperseded,
  stagesRunningInDatabase,
  startRetention,
  startStageWorker,
} from './queue/index.ts';
import {
  createHookRegistrar,
  createRepoService,
  diagnoseHookUrl,
  gatherHookUrlFacts,
} from './repos/index.ts';
import {
  connectEngines,
  createRunnerPool,
  judgeInstances,
  newInstanceId,
  startInstanceKeeper,
} from './runner/index.ts';
import {
  createBuildSecrets,
  createSecretCipher,
  createSecretKeyRotation,
  createSecretService,
  type SecretCipher,
  secretKeyIdOf,
} from './secrets/index.ts';
import { createStoredLogSink, createStoreThread, openStores, startWalCheckpointer } from './store/index.ts';
import { createCounters } from './telemetry/index.ts';
import {
  createPlanner,
  type DeliveryOutcome,
  type Planner,
  processDelivery,
  type SystemFacts,
  startTrigger,
} from './trigger/index.ts';
import { VERSION } from './version.ts';
import {
  createDeliveryIntake,
  createHookSecretResolver,
  createInbox,
  createReconciler,
  createThreadedIntake,
  type Inbox,
  type Reconciler,
} from './webhooks/index.ts';

/**
 * The Docker engines of the configuration (DRONE_GOGS_DOCKER_HOST or DRONE_GOGS_ENGINES_FILE) with the step
 * defaults of DRONE_GOGS_STEP_*; health checks start at once. `serve` and `exec` run stages on the same settings.
 */
export function openRunnerPool(
  config: Config,
  logger: Logger,
  use: { sharedImageCache: boolean; spareNetworks: boolean } = {
    sharedImageCache: true,
    spareNetworks: true,
  },
): RunnerPool {
  for (const warning of insecureEngineWarnings(config)) logger.warn(warning);
  return createRunnerPool({
    engines: connectEngines(config.runner.engines),
    logger,
    runner: { ...config.runner.step, sharedImageCache: use.sharedImageCache },
    spareNetworks: use.spareNetworks,
    fixHint: config.runner.enginesFile
      ? `check that dockerd runs there and that ${config.runner.enginesFile} has its address right`
      : 'check that dockerd runs (the local socket by default) or set DRONE_GOGS_DOCKER_HOST',
  });
}

/** What `serve` and every command work with. Built once per process by {@link openServices}. */
export interface Services {
  config: Config;
  logger: Logger;
  clock: Clock;
  cipher: SecretCipher;
  /** `rotate secret-key`: a new secret key, the values re-encrypted under it, retired keys removed. */
  secretKeyRotation: SecretKeyRotation;
  counters: Counters;
  stores: Stores;
  inbox: Inbox;
  /** Null when the Gogs API is not configured. */
  gogs: GogsClient | null;
  repos: RepoService;
  builds: BuildService;
  /** Repository and organisation secrets: names and rules out, values only in. */
  secrets: SecretService;
  /** The tamper-evident record of security-relevant actions. */
  audit: AuditLog;
  /** API tokens of Gogs users: created, listed, revoked, and checked for a bearer. */
  tokens: TokenService;
  /** OpenID providers, added and removed by CI admins while the sidecar runs. */
  oidcProviders: OidcProviderService;
  /** Reading the audit log back and checking its chain (with the current secret key's audit key). */
  auditTrail: AuditService;
  /** Signs build steps' workload identity tokens; its keys are published under /.well-known/. */
  workloadTokens: WorkloadTokenIssuer;
  /** Browser sessions: started at sign-in, resolved from the cookie, revoked at sign-out. */
  sessions: SessionService;
  /** Signing in with an OpenID provider or the Gogs form, and out. */
  login: LoginService;
  /** Who may do what: the policy over rights that follow Gogs. */
  authorizer: Authorizer;
  /** Throws CONFIG_INVALID when the Gogs API is not configured. */
  reconciler(): Reconciler;
  /** Turns one stored delivery into its build; throws CONFIG_INVALID when the Gogs API is not configured. */
  deliveryProcessor(): (delivery: Delivery) => Promise<DeliveryOutcome>;
  /** Plans pushed files in a warm thread under a deadline. */
  planner: Planner;
  /** What builds call the sidecar (DRONE_SYSTEM_*), from DRONE_GOGS_PUBLIC_URL. */
  system: SystemFacts;
  /** Credentials git sends for a repository's clone URL (the Gogs token); null without one. */
  gitCredentials(repo: Repo): GitCredentials;
  /** The bare repository of the trigger's git cache for a repository (it may not exist yet): clones read it first. */
  gitCache(repo: Repo): RepositoryCache;
  /** Calls `listener` whenever this process stored a delivery; returns the function that stops it. */
  onDeliveryStored(listener: () => void): () => void;
  /**
   * Calls `listener` whenever this process's build service approved, restarted or cancelled something, so that
   * the stage worker acts at once; returns the function that stops it.
   */
  onBuildsChanged(listener: () => void): () => void;
  /** The Docker engines that run stages; made on first use (health checks start then). */
  runner(): RunnerPool;
  close(): Promise<void>;
}

/**
 * The composition root: every service of the sidecar, built once from the config. The CLI's commands and
 * `serve` both start here; nothing else constructs services.
 */
export async function openServices(
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
  options: {
    /** false: leave values under a retired key as they are at start (`rotate secret-key` re-encrypts them itself). */
    upgradeStoredSecrets?: boolean;
  } = {},
): Promise<Services> {
  const secretKey = await ensureSecretKey(config.secretKey, config.dataDir);
  if (secretKey.source === 'generated') {
    logger.warn(
      `config: generated a new secret key in ${secretKey.path} (mode 0600); back it up with the database`,
    );
  }
  // The current key encrypts; retired keys (secret-keys/, DRONE_GOGS_SECRET_KEYS_RETIRED) still decrypt, and the
  // ring is read again from disk when a value names a key it does not hold (another process rotated).
  const configuredKeys = { current: config.secretKey, retired: config.secretKeysRetired };
  const keyFiles = createSecretKeyFiles(config.dataDir, config.secretKey ? 'environment' : 'file');
  const cipher = createSecretCipher(
    { current: secretKey.key, retired: readSecretKeySet(configuredKeys, config.dataDir).retired },
    { reload: () => readSecretKeySet(configuredKeys, config.dataDir), logger },
  );
  // The one write path of a local file: the store-writer thread, started on the first hot write.
  const storeThread = config.database.isLocalFile
    ? createStoreThread(
        () =>
          new Worker(new URL('./intake-thread.ts', import.meta.url), {
            workerData: { url: config.database.url, sync: config.database.sync, backgroundCheckpoints: true },
          }),
      )
    : null;
  const stores = await openStores({
    url: config.database.url,
    authToken: config.database.authToken,
    sync: config.database.sync,
    backgroundCheckpoints: config.database.isLocalFile,
    ...(options.upgradeStoredSecrets === false ? {} : { secrets: { upgrader: cipher, logger } }),
    ...(storeThread ? { thread: storeThread } : {}),
  });
  const counters = createCounters();
  const auditKey = auditKeyOf(secretKey.key);
  const audit = createAuditLog({ store: stores.audit, key: auditKey, keyId: cipher.keyId, clock, logger });
  // Rights come from Gogs once identity links people to it; until then only the box's admin has any.
  const hookSecrets = createHookSecretResolver({ repos: stores.repos, cipher, clock });
  const intake = storeThread
    ? createThreadedIntake(storeThread)
    : createDeliveryIntake({ deliveries: stores.deliveries, clock });
  const storedListeners = new Set<() => void>();
  const inbox = createInbox({
    secrets: hookSecrets,
    intake,
    logger,
    counters,
    onAccepted: () => {
      for (const listener of storedListeners) listener();
    },
  });
  // Every Gogs call and git credential reads the token here: a token file replaced while running is followed.
  const gogsToken = createGogsTokenProvider(config.gogs.token, (message) => logger.warn(message));
  const gogs =
    config.gogs.url && gogsToken() !== undefined
      ? createGogsClient({
          baseUrl: config.gogs.url,
          token: () => gogsToken() ?? '',
          timeoutMs: config.gogs.timeoutMs,
        })
      : null;
  const expectTls = config.publicUrl.startsWith('https:') || Boolean(config.gogs.url?.startsWith('https:'));
  const requireGogs = () => {
    if (!gogs) {
      throw new AppError(
        'CONFIG_INVALID',
        `this needs the Gogs API: set DRONE_GOGS_GOGS_URL and DRONE_GOGS_GOGS_TOKEN, or put the token in ${config.gogs.token.file} (an access token of a Gogs admin, from Gogs > Your Settings > Applications)`,
      );
    }
    return gogs;
  };
  // Rights and organisation roles follow Gogs, read with each person's own token (cached for
  // DRONE_GOGS_PERMISSION_TTL_SECONDS); without the Gogs API nobody but the box's admin has any.
  const authorizer = createAuthorizer({
    access: gogs
      ? createPermissionSync({
          users: stores.users,
          links: stores.gogsLinks,
          permissions: stores.permissions,
          repos: stores.repos,
          gogs: requireGogs,
          cipher,
          clock,
          logger,
          ttlMs: config.permissionTtlMs,
        })
      : NO_ACCESS,
    ...(gogs && {
      orgRoles: createOrgRoleSync({
        users: stores.users,
        links: stores.gogsLinks,
        orgRoles: stores.orgRoles,
        gogs: requireGogs,
        cipher,
        clock,
        logger,
        ttlMs: config.permissionTtlMs,
      }),
    }),
    audit,
    clock,
    logger,
  });
  const registrar = () =>
    createHookRegistrar({
      gogs: requireGogs(),
      repos: stores.repos,
      branchHeads: stores.branchHeads,
      cipher,
      clock,
      logger,
      hookUrl: config.hookUrl,
      secretGraceMs: config.hooks.secretGraceMs,
      diagnose: async (url) =>
        diagnoseHookUrl(
          await gatherHookUrlFacts(url, { expectTls, allowHttp: config.hooks.insecureAllowHttp }),
        ),
    });
  const reconciler = () =>
    createReconciler({
      gogs: requireGogs(),
      repos: stores.repos,
      deliveries: stores.deliveries,
      branchHeads: stores.branchHeads,
      clock,
      logger,
      graceMs: config.reconcile.graceMs,
    });
  const repos = createRepoService({
    repos: stores.repos,
    deliveries: stores.deliveries,
    registrar,
    defaultTimeoutMinutes: config.runner.stageTimeoutMs / 60_000,
    logger,
    audit,
    authorizer,
  });
  const secrets = createSecretService({
    secrets: stores.secrets,
    repos: stores.repos,
    cipher,
    logger,
    audit,
    authorizer,
  });
  const git = createGitRemote({ cacheDir: join(config.dataDir, 'git-cache') });
  const publicUrl = new URL(config.publicUrl);
  const system: SystemFacts = {
    proto: publicUrl.protocol.replace(':', ''),
    host: publicUrl.host,
    version: VERSION,
  };
  // The token as the Basic user name, which Gogs accepts for git over HTTP.
  const gitCredentials = (): GitCredentials => {
    const token = gogsToken();
    return token ? { username: token, password: '' } : null;
  };
  const planner = createPlanner();
  const buildListeners = new Set<() => void>();
  const builds = createBuildService({
    builds: stores.builds,
    repos: stores.repos,
    logs: stores.logs,
    authorizer,
    actions: {
      queue: stores.stageQueue,
      plan: (file, context, options) => planner.plan(file, context, options),
      system,
      clock,
      logger,
      audit,
      changed: () => {
        for (const listener of buildListeners) listener();
      },
    },
  });
  const autoCancel = { builds: stores.builds, queue: stores.stageQueue, repos: stores.repos, clock, logger };
  const providers = createOidcProviderRegistry({ store: stores.oidcProviders, cipher, clock, logger });
  const pushers = createPusherCheck({ users: stores.users, identities: stores.identities, providers });
  const deliveryProcessor = () => {
    const gogsClient = requireGogs();
    return async (delivery: Delivery) => {
      const outcome = await processDelivery(delivery, {
        repos: stores.repos,
        builds: stores.builds,
        gogs: gogsClient,
        git,
        credentials: gitCredentials,
        plan: (file, context, options) => planner.plan(file, context, options),
        pushers,
        system,
        clock,
        logger,
      });
      // Again when the delivery is processed again: killing what already ended changes nothing.
      if (outcome.status === 'done') await cancelSuperseded(outcome.build, autoCancel);
      return outcome;
    };
  };
  let pool: RunnerPool | null = null;
  const runner = () => {
    pool ??= openRunnerPool(config, logger);
    return pool;
  };
  const sessions = createSessionService({
    sessions: stores.sessions,
    keys: stores.sessionKeys,
    cipher,
    principals: createSessionPrincipals({ admins: config.admins, providers: () => providers.providers() }),
    audit,
    clock,
    logger,
  });
  const login = createLoginService({
    providers,
    accounts: createGogsAccounts({
      users: stores.users,
      links: stores.gogsLinks,
      identities: stores.identities,
      gogs: requireGogs,
      issuer: createGogsTokenIssuer({ baseUrl: config.gogs.url ?? '', timeoutMs: config.gogs.timeoutMs }),
      cipher,
      audit,
      clock,
      logger,
    }),
    identities: stores.identities,
    sessions,
    cipher,
    publicUrl: config.publicUrl,
    admins: config.admins,
    audit,
    clock,
    logger,
  });
  return {
    config,
    logger,
    clock,
    cipher,
    secretKeyRotation: createSecretKeyRotation({
      cipher,
      files: keyFiles,
      values: stores.encryptedValues,
      auditKeyOf,
    }),
    counters,
    stores,
    inbox,
    gogs,
    repos,
    builds,
    secrets,
    audit,
    tokens: createTokenService({
      users: stores.users,
      tokens: stores.apiTokens,
      gogs: requireGogs,
      admins: config.admins,
      authorizer,
      audit,
      clock,
      logger,
    }),
    oidcProviders: createOidcProviderService({
      store: stores.oidcProviders,
      cipher,
      authorizer,
      audit,
      clock,
      logger,
      changed: () => providers.forget(),
    }),
    sessions,
    login,
    authorizer,
    auditTrail: createAuditService({ store: stores.audit, keys: await auditKeysOf(cipher, keyFiles) }),
    workloadTokens: createWorkloadTokenIssuer({
      keys: stores.workloadSigningKeys,
      cipher,
      publicUrl: config.publicUrl,
      clock,
      logger,
    }),
    reconciler,
    deliveryProcessor,
    planner,
    system,
    gitCredentials,
    gitCache: (repo) => ({
      cache: git.cachedRepository(repositoryCacheKey(repo)),
      cacheSettled: () => git.cacheSettled(repositoryCacheKey(repo)),
    }),
    onDeliveryStored(listener) {
      storedListeners.add(listener);
      return () => storedListeners.delete(listener);
    },
    onBuildsChanged(listener) {
      buildListeners.add(listener);
      return () => buildListeners.delete(listener);
    },
    runner,
    async close() {
      await pool?.close();
      await git.settled();
      await planner.stop();
      await intake.close();
      await stores.close();
      await storeThread?.close();
    },
  };
}

/** The audit keys that check the chain: of every secret key held, and of the keys retired for good. */
async function auditKeysOf(cipher: SecretCipher, keyFiles: SecretKeyFiles): Promise<Map<string, Buffer>> {
  const keys = await keyFiles.auditKeys();
  for (const key of cipher.ring.keys()) keys.set(secretKeyIdOf(key), auditKeyOf(key));
  return keys;
}

export interface RunningSidecar {
  url: string;
  services: Services;
  /** Stops accepting requests, lets in-flight deliveries commit, closes the store. Idempotent. */
  stop(): Promise<void>;
}

export async function startSidecar(
  config: Config,
  logger: Logger,
  clock: Clock = systemClock,
): Promise<RunningSidecar> {
  const services = await openServices(config, logger, clock);
  const app = createHttpApp({
    inbox: services.inbox,
    logger,
    counters: services.counters,
    maxHookBodyBytes: config.hooks.maxBytes,
    hookBodyTimeoutMs: config.hooks.bodyTimeoutMs,
    checkDatabase: async () => {
      await services.stores.repos.list({ active: true });
    },
    version: VERSION,
    workloadTokens: services.workloadTokens,
    identity: {
      publicUrl: config.publicUrl,
      tokens: services.tokens,
      sessions: services.sessions,
      login: services.login,
      repos: services.stores.repos,
      authorizer: services.authorizer,
      clock,
    },
  });
  // Started in this order, stopped in reverse: webhooks are answered until everything else has stopped.
  const parts: Running[] = [];
  if (config.database.isLocalFile) parts.push(startWalCheckpointer({ url: config.database.url, logger }));
  const instanceId = newInstanceId('serve', hostname(), process.pid);
  parts.push(
    await startInstanceKeeper({
      id: instanceId,
      hostname: hostname(),
      instances: services.stores.instances,
      runner: services.runner(),
      runningStages: () =>
        stagesRunningInDatabase({
          queue: services.stores.stageQueue,
          builds: services.stores.builds,
          repos: services.stores.repos,
        }),
      clock: services.clock,
      logger,
    }),
  );
  const server = await serveHttp(app, config.listen, config.http);
  parts.push(server);
  const buildSecrets = createBuildSecrets({
    secrets: services.stores.secrets,
    cipher: services.cipher,
    logger,
  });
  const stages = startStageWorker({
    queue: services.stores.stageQueue,
    builds: services.stores.builds,
    repos: services.stores.repos,
    runner: services.runner(),
    logSink: (stepIds) => createStoredLogSink({ store: services.stores.logs, stepIds }),
    plan: (file, context, options) => services.planner.plan(file, context, options),
    credentials: services.gitCredentials,
    gitCache: services.gitCache,
    workloadTokens: services.workloadTokens,
    secretsFor: (repo, build) => buildSecrets.forBuild(repo, build.origin),
    system: services.system,
    holder: instanceId,
    alive: () =>
      judgeInstances({ instances: services.stores.instances, clock: services.clock, hostname: hostname() }),
    lastLine: (stepId) => services.stores.logs.lastLine(stepId),
    defaultTimeoutMs: config.runner.stageTimeoutMs,
    stopDeadlineMs: config.runner.stopDeadlineMs,
    clock: services.clock,
    logger,
  });
  parts.push(stages);
  const stopNudging = services.onBuildsChanged(() => stages.nudge());
  parts.push({ stop: async () => void stopNudging() });
  parts.push(
    startRetention({
      store: services.stores.retention,
      keepMs: config.retention.logsMs,
      clock: services.clock,
      logger,
    }),
  );
  if (services.gogs) {
    parts.push(startReconciliation(services));
    const trigger = startTrigger({
      deliveries: services.stores.deliveries,
      process: services.deliveryProcessor(),
      holder: instanceId,
      clock: services.clock,
      logger,
      onBuildCreated: () => stages.nudge(),
    });
    const unsubscribe = services.onDeliveryStored(() => trigger.nudge());
    parts.push({
      async stop() {
        unsubscribe();
        await trigger.stop();
      },
    });
  }
  let stopping: Promise<void> | null = null;
  return {
    url: server.url,
    services,
    stop() {
      stopping ??= (async () => {
        for (const part of parts.reverse()) await part.stop();
        await services.close();
      })();
      return stopping;
    },
  };
}

/** Runs a reconciliation pass every interval, never two at once; stopping waits for a pass under way. */
function startReconciliation(services: Services): Running {
  const { intervalMs } = services.config.reconcile;
  if (intervalMs === 0) return { stop: async () => {} };
  const reconciler = services.reconciler();
  let pass: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (pass !== null) return;
    pass = reconciler
      .runOnce()
      .then(
        () => {},
        (error: unknown) => services.logger.error(`reconcile: pass failed: ${(error as Error).message}`),
      )
      .finally(() => {
        pass = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await pass;
    },
  };
}
