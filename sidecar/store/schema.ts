import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type {
  ApprovalRule,
  AuditDecision,
  BranchHead,
  BuildEvent,
  BuildStatus,
  ChangeKind,
  DeliveryStatus,
  OrgRoleName,
  StageStatus,
  StepStatus,
  StoredSigningKey,
  WorkloadSigningAlg,
} from '../core/index.ts';

const now = sql`(cast(unixepoch('subsec') * 1000 as integer))`;

export const repos = sqliteTable(
  'repos',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    gogsId: integer().notNull(),
    owner: text().notNull(),
    name: text().notNull(),
    fullName: text().notNull(),
    private: integer({ mode: 'boolean' }).notNull().default(false),
    defaultBranch: text().notNull().default('master'),
    cloneUrl: text().notNull().default(''),
    htmlUrl: text().notNull().default(''),
    active: integer({ mode: 'boolean' }).notNull().default(false),
    trusted: integer({ mode: 'boolean' }).notNull().default(false),
    configPath: text().notNull().default('.drone.yml'),
    timeoutMinutes: integer(),
    /** Whose builds wait for approval: none, forks, pull_requests or all (see core's ApprovalRule). */
    requireApproval: text().$type<ApprovalRule>().notNull().default('forks'),
    /** Gogs logins whose builds never wait for approval: a JSON array, lower case. */
    approvalAllowList: text({ mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    /** Pushes wait for approval unless their pusher signed in through an OpenID provider. */
    requireVerifiedPusher: integer({ mode: 'boolean' }).notNull().default(false),
    ignoreForks: integer({ mode: 'boolean' }).notNull().default(false),
    ignorePullRequests: integer({ mode: 'boolean' }).notNull().default(false),
    autoCancelPushes: integer({ mode: 'boolean' }).notNull().default(false),
    autoCancelPullRequests: integer({ mode: 'boolean' }).notNull().default(false),
    /** Whether auto-cancel also kills superseded builds that already run (else only pending ones). */
    autoCancelRunning: integer({ mode: 'boolean' }).notNull().default(false),
    /** Stages of this repository that may run at once, across every process; 0 = no limit. */
    throttle: integer().notNull().default(0),
    /** The number of the repository's last build; bumped in the transaction that creates the next one. */
    buildCounter: integer().notNull().default(0),
    hookId: integer(),
    hookUrl: text(),
    hookSecret: text(),
    previousHookSecret: text(),
    previousHookSecretUntil: integer(),
    createdAt: integer().notNull().default(now),
    updatedAt: integer().notNull().default(now),
    version: integer().notNull().default(1),
  },
  (table) => [
    uniqueIndex('repos_gogs_id_unique').on(table.gogsId),
    uniqueIndex('repos_full_name_unique').on(sql`lower(${table.fullName})`),
  ],
);

export const deliveries = sqliteTable(
  'deliveries',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    deliveryId: text().notNull(),
    repoId: integer()
      .notNull()
      .references(() => repos.id, { onDelete: 'cascade' }),
    event: text().notNull(),
    kind: text(),
    action: text(),
    ref: text().notNull().default(''),
    after: text().notNull().default(''),
    headers: text().notNull(),
    body: text().notNull(),
    synthetic: integer({ mode: 'boolean' }).notNull().default(false),
    status: text().$type<DeliveryStatus>().notNull(),
    statusReason: text(),
    receivedAt: integer().notNull(),
    /** The instance processing it and until when (ms); a lease that ran out is taken over. */
    leasedBy: text(),
    leaseUntil: integer(),
    attempts: integer().notNull().default(0),
  },
  (table) => [
    uniqueIndex('deliveries_delivery_id_unique').on(table.deliveryId),
    index('deliveries_repo_after_idx').on(table.repoId, table.after),
    index('deliveries_status_idx').on(table.status, table.id),
    // `repo deliveries OWNER/NAME`: a repository's newest deliveries without scanning everyone's.
    index('deliveries_repo_id_idx').on(table.repoId, table.id),
  ],
);

/** Columns trigger/ writes while processing; a delivery is stored without them. */
export const DELIVERY_PROCESSING_COLUMNS: ReadonlySet<string> = new Set([
  'leasedBy',
  'leaseUntil',
  'attempts',
]);

export const branchHeads = sqliteTable(
  'branch_heads',
  {
    repoId: integer()
      .notNull()
      .references(() => repos.id, { onDelete: 'cascade' }),
    branch: text().notNull(),
    sha: text().notNull(),
    previousSha: text().notNull().default(''),
    status: text().$type<BranchHead['status']>().notNull(),
    observedAt: integer().notNull(),
  },
  (table) => [primaryKey({ columns: [table.repoId, table.branch] })],
);

/**
 * Step logs in chunks, as the runner sends them (masked), under the step's row: a rename of the repository, the
 * pipeline or the step orphans nothing, and a deleted step takes its log along. `seq` is the number of the chunk's
 * first line, so a step's chunks sort by it and a retried chunk collides instead of duplicating; `lines` is a JSON
 * array of `{ number, text, time }`.
 */
export const logChunks = sqliteTable(
  'step_log_chunks',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    stepId: integer()
      .notNull()
      .references(() => steps.id, { onDelete: 'cascade' }),
    seq: integer().notNull(),
    lastLine: integer().notNull(),
    lines: text().notNull(),
    createdAt: integer().notNull().default(now),
  },
  (table) => [
    uniqueIndex('step_log_chunks_step_seq_unique').on(table.stepId, table.seq),
    index('step_log_chunks_step_last_line_idx').on(table.stepId, table.lastLine),
  ],
);

/** Sidecar processes that run stages, with their heartbeats (see core's InstanceStore). */
export const instances = sqliteTable('instances', {
  id: text().primaryKey(),
  hostname: text().notNull(),
  pid: integer().notNull(),
  startedAt: integer().notNull(),
  heartbeatAt: integer().notNull(),
  stoppedAt: integer(),
});

/** Builds; `idempotency_key` makes creating the build of one origin twice give the first one back. */
export const builds = sqliteTable(
  'builds',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    repoId: integer()
      .notNull()
      .references(() => repos.id, { onDelete: 'cascade' }),
    number: integer().notNull(),
    idempotencyKey: text().notNull(),
    /** Random per creation attempt: tells the attempt that inserted the row from those that found it. */
    creationToken: text().notNull(),
    status: text().$type<BuildStatus>().notNull(),
    error: text(),
    event: text().$type<BuildEvent>().notNull(),
    action: text().notNull().default(''),
    ref: text().notNull().default(''),
    source: text().notNull().default(''),
    target: text().notNull().default(''),
    before: text().notNull().default(''),
    after: text().notNull().default(''),
    message: text().notNull().default(''),
    title: text().notNull().default(''),
    link: text().notNull().default(''),
    authorLogin: text().notNull().default(''),
    authorName: text().notNull().default(''),
    authorEmail: text().notNull().default(''),
    authorAvatar: text().notNull().default(''),
    sender: text().notNull().default(''),
    pullRequest: integer().notNull().default(0),
    fork: text().notNull().default(''),
    params: text().notNull().default('{}'),
    cron: text().notNull().default(''),
    deployTo: text().notNull().default(''),
    parent: integer().notNull().default(0),
    configSha256: text().notNull().default(''),
    /** JSON array of paths, or null when unknown. */
    changedPaths: text(),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
    startedAt: integer().notNull().default(0),
    finishedAt: integer().notNull().default(0),
    version: integer().notNull().default(1),
  },
  (table) => [
    uniqueIndex('builds_idempotency_key_unique').on(table.idempotencyKey),
    uniqueIndex('builds_repo_number_unique').on(table.repoId, table.number),
    // `build ls --branch` and `--event` on a repository with years of builds: rare matches must not scan them.
    index('builds_repo_target_number_idx').on(table.repoId, table.target, table.number),
    index('builds_repo_event_number_idx').on(table.repoId, table.event, table.number),
    index('builds_status_idx').on(table.status, table.id),
  ],
);

/** Pipeline files as builds read them, once per content (builds name theirs by SHA-256). */
export const pipelineFiles = sqliteTable('pipeline_files', {
  sha256: text().primaryKey(),
  data: text().notNull(),
  createdAt: integer().notNull(),
});

/** Stages of builds. */
export const stages = sqliteTable(
  'stages',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    buildId: integer()
      .notNull()
      .references(() => builds.id, { onDelete: 'cascade' }),
    repoId: integer().notNull(),
    number: integer().notNull(),
    name: text().notNull(),
    kind: text().notNull().default('pipeline'),
    type: text().notNull().default('docker'),
    status: text().$type<StageStatus>().notNull(),
    error: text(),
    errIgnore: integer({ mode: 'boolean' }).notNull().default(false),
    exitCode: integer().notNull().default(0),
    machine: text().notNull().default(''),
    /** The instance running it; '' until claimed. */
    claimedBy: text().notNull().default(''),
    os: text().notNull().default('linux'),
    arch: text().notNull().default('amd64'),
    variant: text().notNull().default(''),
    limit: integer().notNull().default(0),
    dependsOn: text().notNull().default('[]'),
    onSuccess: integer({ mode: 'boolean' }).notNull().default(true),
    onFailure: integer({ mode: 'boolean' }).notNull().default(false),
    labels: text().notNull().default('{}'),
    startedAt: integer().notNull().default(0),
    finishedAt: integer().notNull().default(0),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
    version: integer().notNull().default(1),
  },
  (table) => [
    uniqueIndex('stages_build_number_unique').on(table.buildId, table.number),
    index('stages_status_idx').on(table.status, table.id),
  ],
);

export const steps = sqliteTable(
  'steps',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    stageId: integer()
      .notNull()
      .references(() => stages.id, { onDelete: 'cascade' }),
    buildId: integer().notNull(),
    number: integer().notNull(),
    name: text().notNull(),
    status: text().$type<StepStatus>().notNull(),
    error: text(),
    errIgnore: integer({ mode: 'boolean' }).notNull().default(false),
    exitCode: integer(),
    image: text().notNull().default(''),
    digest: text().notNull().default(''),
    detached: integer({ mode: 'boolean' }).notNull().default(false),
    dependsOn: text().notNull().default('[]'),
    startedAt: integer().notNull().default(0),
    finishedAt: integer().notNull().default(0),
    version: integer().notNull().default(1),
  },
  (table) => [uniqueIndex('steps_stage_number_unique').on(table.stageId, table.number)],
);

/**
 * The change feed: one row per build, stage and step change and per stored log chunk, ids only growing
 * (AUTOINCREMENT never reuses an id, even after pruning).
 */
export const changes = sqliteTable(
  'changes',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    kind: text().$type<ChangeKind>().notNull(),
    repoId: integer().notNull(),
    buildId: integer().notNull(),
    stageId: integer(),
    stepId: integer(),
    detail: text().notNull().default(''),
    createdAt: integer().notNull(),
  },
  (table) => [index('changes_created_at_idx').on(table.createdAt)],
);

/**
 * Repository and organisation secrets. `scope` is `repo:<gogs id>` or `org:<name in lower case>`; `data` is
 * encrypted (secrets/) and bound to its place, so a ciphertext copied to another row does not decrypt.
 */
export const secrets = sqliteTable(
  'secrets',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    scope: text().notNull(),
    name: text().notNull(),
    data: text().notNull(),
    /** Exposed to pull requests from the repository itself (never to forks). */
    pullRequest: integer({ mode: 'boolean' }).notNull().default(false),
    createdBy: text().notNull().default(''),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
    version: integer().notNull().default(1),
  },
  (table) => [uniqueIndex('secrets_scope_name_unique').on(table.scope, sql`lower(${table.name})`)],
);

/** The audit log's hash chain (core/audit.ts): appended to, never updated; `seq` is assigned by the appender. */
export const auditEvents = sqliteTable(
  'audit_events',
  {
    seq: integer().primaryKey(),
    at: integer().notNull(),
    actor: text().notNull(),
    action: text().notNull(),
    target: text().notNull(),
    decision: text().$type<AuditDecision>().notNull(),
    detail: text().notNull().default('{}'),
    keyId: text().notNull(),
    prevHash: text().notNull(),
    hash: text().notNull(),
  },
  (table) => [index('audit_events_at_idx').on(table.at)],
);

/** Gogs users the sidecar has met (by token, login or lookup); Gogs stays the source of who they are. */
export const users = sqliteTable(
  'users',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    gogsId: integer().notNull(),
    login: text().notNull(),
    email: text().notNull().default(''),
    fullName: text().notNull().default(''),
    createdAt: integer().notNull(),
    updatedAt: integer().notNull(),
  },
  (table) => [
    uniqueIndex('users_gogs_id_unique').on(table.gogsId),
    uniqueIndex('users_login_unique').on(sql`lower(${table.login})`),
  ],
);

/** API tokens: only the SHA-256 of each is kept; the value is shown once, at creation. */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    userId: integer()
      .notNull()
      .references(() => users.id),
    name: text().notNull().default(''),
    hash: text().notNull(),
    createdBy: text().notNull(),
    createdAt: integer().notNull(),
    /** 0: never. */
    expiresAt: integer().notNull().default(0),
    /** 0: never used. */
    lastUsedAt: integer().notNull().default(0),
    /** 0: in force. */
    revokedAt: integer().notNull().default(0),
  },
  (table) => [
    uniqueIndex('api_tokens_hash_unique').on(table.hash),
    index('api_tokens_user_idx').on(table.userId),
  ],
);

/**
 * Keys that sign workload tokens (core/workload-identity.ts). `private_key` is encrypted (secrets/) and bound to
 * its kid; the unique generation lets one of several processes rotating at once insert the successor.
 */
export const workloadSigningKeys = sqliteTable(
  'workload_signing_keys',
  {
    kid: text().primaryKey(),
    generation: integer().notNull(),
    alg: text().$type<WorkloadSigningAlg>().notNull(),
    publicJwk: text({ mode: 'json' }).$type<StoredSigningKey['publicJwk']>().notNull(),
    privateKey: text().notNull(),
    createdAt: integer().notNull(),
    notBefore: integer().notNull(),
  },
  (table) => [uniqueIndex('workload_signing_keys_generation_unique').on(table.generation)],
);

/**
 * OpenID Connect providers, added by an admin at run time. `client_secret` is encrypted (secrets/), bound to the
 * provider's name; the list columns are JSON arrays.
 */
export const oidcProviders = sqliteTable('oidc_providers', {
  name: text().primaryKey(),
  issuer: text().notNull(),
  clientId: text().notNull(),
  clientSecret: text().notNull(),
  scopes: text({ mode: 'json' }).$type<string[]>().notNull(),
  usernameClaim: text().notNull(),
  groupsClaim: text().notNull(),
  requiredGroups: text({ mode: 'json' }).$type<string[]>().notNull(),
  adminGroups: text({ mode: 'json' }).$type<string[]>().notNull(),
  requireVerifiedEmail: integer({ mode: 'boolean' }).notNull(),
  /** How a person of this provider is matched to a Gogs user: `email` (verified) or `username` (= Gogs login). */
  matchBy: text().$type<'email' | 'username'>().notNull(),
  /** Policy roles (`deployer`) by the groups whose members have them: `{"deployer": ["ci-deployers"]}`. */
  roleGroups: text({ mode: 'json' }).$type<Record<string, string[]>>().notNull().default({}),
  createdAt: integer().notNull(),
  updatedAt: integer().notNull(),
});

/** A person as an OpenID provider knows them, and the Gogs user they are, once matched or linked. */
export const identities = sqliteTable(
  'identities',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    provider: text().notNull(),
    subject: text().notNull(),
    userId: integer().references(() => users.id),
    username: text().notNull(),
    email: text().notNull().default(''),
    groups: text({ mode: 'json' }).$type<string[]>().notNull(),
    createdAt: integer().notNull(),
    lastLoginAt: integer().notNull(),
  },
  (table) => [
    uniqueIndex('identities_provider_subject_unique').on(table.provider, table.subject),
    index('identities_user_idx').on(table.userId),
  ],
);

/**
 * The one Gogs access token of a person (made once from the login form, or pasted), encrypted and bound to the
 * user; what their permissions are read with.
 */
export const gogsLinks = sqliteTable('gogs_links', {
  userId: integer()
    .primaryKey()
    .references(() => users.id),
  token: text().notNull(),
  /** `form` (made by the login form) or `pasted`. */
  source: text().$type<'form' | 'pasted'>().notNull(),
  createdAt: integer().notNull(),
  /** When Gogs last accepted it; 0 once it was refused (a new one is made at the next form login). */
  checkedAt: integer().notNull(),
});

/**
 * Browser sessions. The cookie carries the session id (signed); only its SHA-256 is kept. `csrf` is the token a
 * state-changing browser request must send back. Times in ms; `revoked_at` 0 while in force.
 */
export const sessions = sqliteTable(
  'sessions',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    hash: text().notNull(),
    userId: integer().references(() => users.id),
    identityId: integer().references(() => identities.id),
    csrf: text().notNull(),
    /** The ID token for RP-initiated logout, encrypted; '' without one. */
    idToken: text().notNull().default(''),
    createdAt: integer().notNull(),
    lastSeenAt: integer().notNull(),
    expiresAt: integer().notNull(),
    revokedAt: integer().notNull().default(0),
  },
  (table) => [
    uniqueIndex('sessions_hash_unique').on(table.hash),
    index('sessions_user_idx').on(table.userId),
  ],
);

/** Keys that sign session cookies; retired keys still verify until the sessions they signed have ended. */
export const sessionKeys = sqliteTable('session_keys', {
  id: text().primaryKey(),
  /** Encrypted (secrets/), bound to the key id. */
  secret: text().notNull(),
  createdAt: integer().notNull(),
  /** 0 while it signs. */
  retiredAt: integer().notNull().default(0),
});

/**
 * What Gogs said a user may do on a repository, read with the user's own token; rows Gogs no longer returns
 * are deleted at the next sync.
 */
export const permissions = sqliteTable(
  'permissions',
  {
    userId: integer()
      .notNull()
      .references(() => users.id),
    repoId: integer()
      .notNull()
      .references(() => repos.id),
    admin: integer({ mode: 'boolean' }).notNull(),
    push: integer({ mode: 'boolean' }).notNull(),
    pull: integer({ mode: 'boolean' }).notNull(),
    syncedAt: integer().notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.repoId] }),
    index('permissions_repo_idx').on(table.repoId),
  ],
);

/**
 * What Gogs said a user is in an organisation (its Gogs id, so a rename keeps the row): `owner`, the highest
 * permission of their teams, or `member`. Rows of organisations Gogs no longer lists for the user are deleted at
 * the next sync.
 */
export const orgRoles = sqliteTable(
  'org_roles',
  {
    userId: integer()
      .notNull()
      .references(() => users.id),
    orgId: integer().notNull(),
    /** The name as Gogs spelled it at the last sync. */
    org: text().notNull(),
    role: text().$type<OrgRoleName>().notNull(),
    syncedAt: integer().notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.orgId] })],
);
