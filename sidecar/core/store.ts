/**
 * What the sidecar keeps, and the store interfaces over it. store/ implements them on libSQL; every method
 * may be called concurrently, and by several sidecar processes sharing one database.
 */

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

export type RepoChange = Partial<
  Pick<
    Repo,
    | 'active'
    | 'trusted'
    | 'configPath'
    | 'hookId'
    | 'hookUrl'
    | 'hookSecret'
    | 'previousHookSecret'
    | 'previousHookSecretUntil'
  >
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
}

export type NewDelivery = Omit<Delivery, 'id'>;

export interface DeliveryStore {
  /**
   * Stores the delivery durably before resolving. A delivery whose deliveryId is already stored is not
   * stored again: the result says `duplicate`. Concurrent calls are committed together in one transaction.
   */
  record(delivery: NewDelivery): Promise<'stored' | 'duplicate'>;
  findByDeliveryId(deliveryId: string): Promise<Delivery | null>;
  /** Newest first. */
  list(filter: { repoId?: number; limit: number }): Promise<Delivery[]>;
  /** Whether any delivery of the repository announced this commit as its `after`. */
  hasSeenCommit(repoId: number, sha: string): Promise<boolean>;
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
