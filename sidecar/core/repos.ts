import type { Principal } from './principal.ts';
import type { DeliveryStatus, RepoBuildRules } from './store.ts';

/**
 * A repository as commands and the API show it. Built field by field from the stored row: it has no place for
 * the webhook secrets, so no answer can carry them.
 */
export interface RepoView extends RepoBuildRules {
  fullName: string;
  gogsId: number;
  active: boolean;
  private: boolean;
  trusted: boolean;
  defaultBranch: string;
  htmlUrl: string;
  /** How long a stage may run; null = the server's default. */
  timeoutMinutes: number | null;
  configPath: string;
  hookId: number | null;
  hookUrl: string | null;
  /** Until when (ms since epoch) the secret replaced last is still accepted; null when none is. */
  secretRotatedGraceUntil: number | null;
}

/** What an administrator may set on a repository; each field optional, null timeout = the default. */
export interface RepoSettingsChange extends Partial<Omit<RepoBuildRules, 'approvalAllowList'>> {
  trusted?: boolean;
  timeoutMinutes?: number | null;
  configPath?: string;
  /** Gogs logins to add to / remove from the approval allow-list (any case; stored in lower case). */
  approvalAllowListAdd?: string[];
  approvalAllowListRemove?: string[];
}

/**
 * A webhook delivery as `repo deliveries` shows it: what arrived and what became of it. Built from the stored
 * metadata; the payload is not part of it (and is dropped once processed).
 */
export interface DeliveryView {
  /** X-Gogs-Delivery, or `reconciled:…` for a push reconciliation found. */
  deliveryId: string;
  /** X-Gogs-Event (`push`, `create`, `pull_request`, ...). */
  event: string;
  /** The normalised action (`pushed`, `opened`, ...); null for events that are not acted on. */
  action: string | null;
  ref: string;
  /** The commit the payload names as after; '' when it names none. */
  after: string;
  /** Recorded by reconciliation rather than sent by Gogs. */
  synthetic: boolean;
  /** Milliseconds since the epoch. */
  receivedAt: number;
  status: DeliveryStatus;
  /** Why there is no build (a skip rule, a missing pipeline file, a failure), or why it is being retried. */
  reason: string | null;
  /** The number of the build it became; null when none. */
  buildNumber: number | null;
  /** How many times processing started. */
  attempts: number;
}

/** A problem with the address Gogs would deliver to, found before registering the hook. */
export interface HookUrlFinding {
  severity: 'error' | 'warning';
  problem: string;
  fix: string;
}

export interface RepoEnabled {
  repo: RepoView;
  hookId: number;
  hookUrl: string;
  replacedHookIds: number[];
  findings: HookUrlFinding[];
}

export interface RepoSettingsChanged {
  repo: RepoView;
  /** What the change now allows that deserves a second look (trusting a repository). */
  warnings: string[];
  /** The stage timeout in effect, in minutes (the repository's or the server's default). */
  effectiveTimeoutMinutes: number;
}

/**
 * Enabling, disabling, repairing and the settings of repositories: one service for the CLI and the API. Names
 * are OWNER/NAME, matched without regard to case as Gogs does.
 */
export interface RepoService {
  list(actor: Principal): Promise<RepoView[]>;
  /** Registers the webhook (replacing older ones of ours) and starts building; `force` past failed checks. */
  enable(actor: Principal, fullName: string, options?: { force?: boolean }): Promise<RepoEnabled>;
  /** Removes the webhook; builds and history stay. */
  disable(actor: Principal, fullName: string): Promise<{ repo: RepoView; removedHookIds: number[] }>;
  /** Checks one or every enabled repository's webhook and fixes it; `actions` empty when healthy. */
  repair(actor: Principal, fullName?: string): Promise<{ repo: RepoView; actions: string[] }[]>;
  /** New webhook secrets; the previous one is still accepted for the grace period. */
  rotateHookSecrets(actor: Principal, fullName?: string): Promise<{ repo: RepoView; hookId: number }[]>;
  /** Throws BAD_REQUEST for a value out of range, NOT_FOUND for a repository never enabled. */
  changeSettings(
    actor: Principal,
    fullName: string,
    change: RepoSettingsChange,
  ): Promise<RepoSettingsChanged>;
  /**
   * The repository's most recent deliveries, newest first, at most `limit` (1 to {@link MAX_DELIVERY_LIST}).
   * Throws BAD_REQUEST for a limit out of range, NOT_FOUND for a repository never enabled.
   */
  deliveries(actor: Principal, fullName: string, options: { limit: number }): Promise<DeliveryView[]>;
}

/** The most deliveries one `repo deliveries` answer lists. */
export const MAX_DELIVERY_LIST = 200;
