import type { AuditStore } from './audit.ts';
import type { BuildStore, ChangeFeed } from './builds.ts';
import type { ApiTokenStore, UserStore } from './identity.ts';
import type {
  GogsLinkStore,
  IdentityStore,
  OidcProviderStore,
  OrgRoleStore,
  PermissionStore,
} from './identity-links.ts';
import type { StageQueueStore } from './queue.ts';
import type { LogLine } from './runner.ts';
import type { SecretStore } from './secrets.ts';
import type { SessionKeyStore, SessionStore } from './session.ts';
import type { SigningKeyStore } from './workload-identity.ts';

/**
 * What the sidecar keeps, and the store interfaces over it. store/ implements them on libSQL; every method
 * may be called concurrently, and by several sidecar processes sharing one database.
 */

/**
 * Whose builds wait for approval (Drone's "protected" repositories, per event source): `forks` (the default)
 * holds pull requests from forks, `pull_requests` every pull request, `all` every build.
 */
export type ApprovalRule = 'none' | 'forks' | 'pull_requests' | 'all';
export const APPROVAL_RULES: readonly ApprovalRule[] = ['none', 'forks', 'pull_requests', 'all'];

/** A Gogs repository the sidecar knows. `hookSecret` and `previousHookSecret` are encrypted (secrets/). */
export interface Repo {
  id: number;
  gogsId: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  defaultBranch: string;
  cloneUrl: string;
  htmlUrl: string;
  active: boolean;
  trusted: boolean;
  configPath: string;
  /** How long a stage of this repository may run; null = the configured default. */
  timeoutMinutes: number | null;
  /** Whose builds wait in `blocked` until someone approves them. */
  requireApproval: ApprovalRule;
  /** Gogs logins (lower case) whose builds never wait for approval. */
  approvalAllowList: string[];
  /**
   * A push whose Gogs pusher has signed in through an OpenID provider (and is in its required groups) runs at
   * once; any other push waits for approval.
   */
  requireVerifiedPusher: boolean;
  /** No builds for pull requests from forks / for any pull request. */
  ignoreForks: boolean;
  ignorePullRequests: boolean;
  /** A new build cancels the older pending ones of the same branch (pushes) or pull request. */
  autoCancelPushes: boolean;
  autoCancelPullRequests: boolean;
  /** Auto-cancel also kills superseded builds that already run. */
  autoCancelRunning: boolean;
  /** Stages of this repository that may run at once across every process; 0 = no limit. */
  throttle: number;
  hookId: number | null;
  hookUrl: string | null;
  hookSecret: string | null;
  previousHookSecret: string | null;
  /** Until when (ms since epoch) deliveries signed with the previous secret are still accepted. */
  previousHookSecretUntil: number | null;
  createdAt: number;
  updatedAt: number;
  /** Bumped on every update; updates may require the version they read (optimistic concurrency). */
  version: number;
}

/** Repository facts from Gogs, refreshed whenever the sidecar sees the repository. */
export type RepoFacts = Pick<
  Repo,
  'gogsId' | 'owner' | 'name' | 'fullName' | 'private' | 'defaultBranch' | 'cloneUrl' | 'htmlUrl'
>;

/** What decides whose builds wait, which are made, cancelled or held back: set by `repo set`, shown as is. */
export type RepoBuildRules = Pick<
  Repo,
  | 'requireApproval'
  | 'approvalAllowList'
  | 'requireVerifiedPusher'
  | 'ignoreForks'
  | 'ignorePullRequests'
  | 'autoCancelPushes'
  | 'autoCancelPullRequests'
  | 'autoCancelRunning'
  | 'throttle'
>;

export type RepoChange = Partial<
  Pick<
    Repo,
    | 'active'
    | 'trusted'
    | 'configPath'
    | 'timeoutMinutes'
    | 'hookId'
    | 'hookUrl'
    | 'hookSecret'
    | 'previousHookSecret'
    | 'previousHookSecretUntil'
  > &
    RepoBuildRules
>;

export interface RepoStore {
  findById(id: number): Promise<Repo | null>;
  findByGogsId(gogsId: number): Promise<Repo | null>;
  /** Case-insensitive, as Gogs treats names. */
  findByFullName(fullName: string): Promise<Repo | null>;
  list(filter?: { active?: boolean }): Promise<Repo[]>;
  /** Inserts the repository or refreshes its facts (a rename keeps the row: matched on gogsId). Idempotent. */
  upsertFacts(facts: RepoFacts): Promise<Repo>;
  /**
   * Applies the change and bumps the version. With `expectedVersion`, throws AppError CONFLICT when another
   * writer got there first.
   */
  update(id: number, change: RepoChange, expectedVersion?: number): Promise<Repo>;
}

/**
 * The place (table.column:row) of an encrypted value: its ciphertext is bound to it (associated data), so a
 * ciphertext copied to another row or column does not decrypt. Repositories are named by their Gogs id.
 */
export const hookSecretPlace = (gogsId: number): string => `repos.hook_secret:${gogsId}`;
export const previousHookSecretPlace = (gogsId: number): string => `repos.previous_hook_secret:${gogsId}`;
/** A repository or organisation secret's value: bound to its scope and its name without regard to case. */
export const secretPlace = (scope: string, name: string): string =>
  `secrets.data:${scope}:${name.toLowerCase()}`;

/**
 * Brings stored secrets of an older format to the current one. secrets/ implements it; store/ runs it over
 * every encrypted column at migrate time.
 */
export interface SecretUpgrader {
  /** True when `stored` is in the current format under the current key; decrypts nothing. */
  isCurrent(stored: string): boolean;
  /** `stored` re-encrypted in the current format for `place`. Throws AppError DECRYPT_FAILED when unreadable. */
  upgrade(stored: string, place: string): string;
}

/** `v1` for the format before key ids; `unknown` for a value of no known format. */
export type StoredKeyId = string;

/** How many stored values each key encrypted, per table: `{ [keyId]: { [table]: count } }`. */
export type ValuesByKey = Record<StoredKeyId, Record<string, number>>;

export interface ReencryptProgress {
  done: number;
  total: number;
}

export interface ReencryptResult {
  /** Values re-encrypted, per table. */
  byTable: Record<string, number>;
  /** The places of values that could not be decrypted with any key held; left as they were. */
  unreadable: string[];
}

/**
 * Every encrypted column of the database (store/ implements it). Values are re-encrypted in batches, one
 * write transaction each that rereads its rows and writes a value only where it is still the one read, so
 * several processes at once re-encrypt each value once and never overwrite a newer one. Idempotent.
 */
export interface EncryptedValues {
  /** The key id of every stored value, counted per table; reads only. */
  countByKey(keyIdOf: (stored: string) => string | null): Promise<ValuesByKey>;
  /** Re-encrypts every value `upgrader` does not call current; `onBatch` after each committed batch. */
  reencrypt(
    upgrader: SecretUpgrader,
    options?: { batchSize?: number; onBatch?: (progress: ReencryptProgress) => void },
  ): Promise<ReencryptResult>;
}

export type DeliveryStatus = 'pending' | 'ignored' | 'processing' | 'done' | 'failed';

/** A webhook delivery as received (or synthesised by reconciliation), kept verbatim. */
export interface Delivery {
  id: number;
  /** X-Gogs-Delivery, or `reconciled:…` for synthetic deliveries. Unique. */
  deliveryId: string;
  repoId: number;
  /** X-Gogs-Event. */
  event: string;
  /** Normalised kind and action, or null for ignored events. */
  kind: string | null;
  action: string | null;
  ref: string;
  /** The commit after the event when the payload names one; '' otherwise. */
  after: string;
  /** The signed request headers that matter (X-Gogs-*, Content-Type, User-Agent), as JSON. */
  headers: string;
  /** The JSON payload exactly as signed (the decoded `payload` field for form hooks). */
  body: string;
  synthetic: boolean;
  status: DeliveryStatus;
  statusReason: string | null;
  receivedAt: number;
  /** The instance processing it and until when (ms); null when not processing. */
  leasedBy: string | null;
  leaseUntil: number | null;
  /** How many times processing started. */
  attempts: number;
}

export type NewDelivery = Omit<Delivery, 'id' | 'leasedBy' | 'leaseUntil' | 'attempts'>;

/** A delivery without its payload and headers, with the number of the build it became (null when none). */
export interface DeliverySummary extends Omit<Delivery, 'body' | 'headers'> {
  buildNumber: number | null;
}

export interface DeliveryStore {
  /**
   * Stores the delivery durably before resolving. A delivery whose deliveryId is already stored is not
   * stored again: the result says `duplicate`. Concurrent calls are committed together in one transaction.
   */
  record(delivery: NewDelivery): Promise<'stored' | 'duplicate'>;
  findByDeliveryId(deliveryId: string): Promise<Delivery | null>;
  /** Newest first. */
  list(filter: { repoId?: number; limit: number }): Promise<Delivery[]>;
  /**
   * A repository's deliveries, newest first, at most `limit`, read from the index on (repository, id) without
   * their payloads; each with the build whose idempotency key names it (`hook:<delivery id>:<file>`).
   */
  recent(repoId: number, limit: number): Promise<DeliverySummary[]>;
  /** Whether any delivery of the repository announced this commit as its `after`. */
  hasSeenCommit(repoId: number, sha: string): Promise<boolean>;
  /**
   * Up to `limit` deliveries to process, oldest first: pending ones, and processing ones whose lease ran out
   * (their process died). Each is now `processing`, leased to `holder` until `now + leaseMs`, its attempts
   * counted. Several processes may lease at once; no delivery is leased to two of them at a time.
   */
  lease(holder: string, now: number, leaseMs: number, limit: number): Promise<Delivery[]>;
  /**
   * Ends the processing of a delivery leased to `holder`: `done` (builds created), `ignored` (no build, with
   * why) or `failed` (given up, with why). A `done` or `ignored` delivery keeps its metadata and headers but not
   * its payload (`body` becomes ''); a `failed` one keeps it, to be processed again by hand. False, and nothing
   * changed, when the lease was lost to another holder.
   */
  settle(
    id: number,
    holder: string,
    status: 'done' | 'ignored' | 'failed',
    reason: string | null,
  ): Promise<boolean>;
  /**
   * Leaves a delivery leased to `holder` for another attempt at `until` (by whichever process leases it then),
   * with why this one failed. False when the lease was lost.
   */
  postpone(id: number, holder: string, until: number, reason: string): Promise<boolean>;
  /** Waits for pending writes to commit; later calls to record are refused. */
  close(): Promise<void>;
}

/** What reconciliation last saw of a branch: `seen` (a delivery or the baseline covers it), `pending`, `synthesized`. */
export interface BranchHead {
  repoId: number;
  branch: string;
  sha: string;
  previousSha: string;
  status: 'seen' | 'pending' | 'synthesized';
  observedAt: number;
}

export interface BranchHeadStore {
  list(repoId: number): Promise<BranchHead[]>;
  /** Insert or replace the row for (repoId, branch). */
  put(head: BranchHead): Promise<void>;
  remove(repoId: number, branch: string): Promise<void>;
}

/**
 * Step logs in chunks of lines (table `step_log_chunks`), each step's under the id of its row (`steps.id`), so
 * renaming a repository, a pipeline or a step orphans nothing, and deleting a step deletes its log. Lines are
 * already masked by the runner. Safe to call concurrently for different steps; the writes of one step come from
 * one writer, in order.
 */
export interface LogStore {
  /**
   * Stores the lines (numbers increasing) in one transaction, with a `log` entry in the change feed. Lines whose
   * number is not above the highest number already stored for the step are dropped, so a retried write or a log
   * replayed after a restart never duplicates a line. Returns the lines it stored. Throws AppError NOT_FOUND when
   * there is no such step.
   */
  append(stepId: number, lines: readonly LogLine[]): Promise<LogLine[]>;
  /** Stored lines numbered above `afterLine` (default -1: from the start), in order, at most `limit` (default 5000). */
  read(stepId: number, options?: { afterLine?: number; limit?: number }): Promise<LogLine[]>;
  /** The highest stored line number of the step; -1 when it has none. */
  lastLine(stepId: number): Promise<number>;
  /**
   * The step's stage, and whether the step's stored status is final, after which no line is added (the runner
   * stores a step's last line before its final status, whichever process runs it); null when there is no such step.
   */
  logState(stepId: number): Promise<StepLogState | null>;
}

export interface StepLogState {
  stageId: number;
  ended: boolean;
}

/**
 * Live step logs for readers in one sidecar process, of steps run by any process: the sink of the process running
 * a step publishes lines once they are stored, and the change feed brings what other processes store. Readers
 * follow a step from its first stored line on, then live. Lines are the runner's masked lines; nothing else is
 * published. Every method may be called concurrently.
 */
export interface LogHub {
  /** Lines of the step that are stored now, in order. Never blocks: a slow reader catches up from the store. */
  publish(stepId: number, lines: readonly LogLine[]): void;
  /** The step's log is complete in this process: its readers end once they have every stored line. */
  end(stepId: number): void;
  /**
   * Every line of the step once and in order: what is stored, then lines as they are stored, until the step's
   * stored status is final (or its log ended in this process) and every line is given, or the signal aborts. A step
   * that has ended yields what is stored and ends; an unknown step yields nothing.
   */
  follow(stepId: number, options?: { signal?: AbortSignal }): AsyncIterable<LogLine>;
}

/**
 * A sidecar process that runs stages. It beats while it lives; once it stops beating (or said it stopped), the
 * Docker resources labelled with its id are another process's to reap.
 */
export interface Instance {
  id: string;
  hostname: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
  /** Set by a clean shutdown. */
  stoppedAt: number | null;
}

export interface InstanceStore {
  /** Records a starting instance; rows of instances gone for over a week are dropped on the way. */
  register(instance: Pick<Instance, 'id' | 'hostname' | 'pid'>, now: number): Promise<void>;
  heartbeat(id: string, now: number): Promise<void>;
  stop(id: string, now: number): Promise<void>;
  list(): Promise<Instance[]>;
}

/**
 * Deletes what the retention setting no longer keeps, in small batches (each its own short write, so that hot
 * writes are not held up). Builds, stages and steps are never deleted. Idempotent; several processes may prune
 * at once.
 */
export interface RetentionStore {
  /** Deletes up to `batch` of the oldest log chunks stored before `before` (ms); returns how many. */
  pruneLogChunks(before: number, batch: number): Promise<number>;
  /** Deletes up to `batch` of the oldest change-feed entries written before `before` (ms); returns how many. */
  pruneChanges(before: number, batch: number): Promise<number>;
  /**
   * Drops the payloads of deliveries that are `done` or `ignored` (those the intake ignored on arrival included)
   * among up to `batch` deliveries with an id above `afterId`; returns the last id looked at (`afterId` when
   * there are none), from which the next call goes on.
   */
  dropSettledBodies(afterId: number, batch: number): Promise<number>;
}

/** Every store over one database. `close()` flushes pending writes, then closes the database. */
export interface Stores {
  repos: RepoStore;
  deliveries: DeliveryStore;
  branchHeads: BranchHeadStore;
  builds: BuildStore;
  changes: ChangeFeed;
  stageQueue: StageQueueStore;
  logs: LogStore;
  instances: InstanceStore;
  retention: RetentionStore;
  secrets: SecretStore;
  audit: AuditStore;
  users: UserStore;
  apiTokens: ApiTokenStore;
  oidcProviders: OidcProviderStore;
  gogsLinks: GogsLinkStore;
  identities: IdentityStore;
  permissions: PermissionStore;
  orgRoles: OrgRoleStore;
  workloadSigningKeys: SigningKeyStore;
  sessions: SessionStore;
  sessionKeys: SessionKeyStore;
  /** Every encrypted column at once, for re-encrypting under a new secret key. */
  encryptedValues: EncryptedValues;
  close(): Promise<void>;
}

/**
 * The store-writer thread as the other threads of a process reach it: the one connection that commits the hot
 * writes of a local database file. Its lanes: `intake` takes a verified delivery to parse, validate and store;
 * `write` takes a hot write of the store. Requests of one turn of the event loop travel together. A thread that
 * dies fails what it held with STORE_FAILED and is started again by the next request. May be called
 * concurrently; created by main.ts, used by webhooks/ and store/.
 */
export interface StoreThread {
  lane(name: 'intake' | 'write'): StoreThreadLane;
  /** Waits for the answers of pending requests, then stops the thread; later requests are refused. Idempotent. */
  close(): Promise<void>;
}

export interface StoreThreadLane {
  /**
   * Resolves with the thread's answer once the thread is done with the request (a write: once its group is
   * committed); rejects with an AppError of this request's own.
   */
  request(body: unknown): Promise<unknown>;
  /** Waits for the answers of this lane's pending requests; its later requests are refused. Idempotent. */
  close(): Promise<void>;
}
