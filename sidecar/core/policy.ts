/**
 * The policy seam: may this principal do this to this repository? One pure decision, asked in front of every
 * service call and route; the rights it weighs come from Gogs (identity/ keeps them fresh), never from a second
 * user database.
 */
import type { Principal } from './principal.ts';

export const POLICY_ACTIONS = [
  'view',
  'view-logs',
  'trigger',
  'restart',
  'cancel',
  'approve',
  'promote',
  'manage-secrets',
  'manage-repo',
  'admin',
] as const;

export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/** A person's rights on one repository as Gogs reported them, and when that was. */
export interface RepoAccess {
  admin: boolean;
  push: boolean;
  pull: boolean;
  /** Milliseconds since the epoch. */
  syncedAt: number;
}

/** The actions taken on an organisation as a whole rather than on one of its repositories. */
export const ORG_ACTIONS = ['manage-secrets'] as const satisfies readonly PolicyAction[];
export type OrgAction = (typeof ORG_ACTIONS)[number];

/**
 * A person's place in a Gogs organisation: `owner` (in its Owners team), else the highest permission of the
 * teams they are in, or `member` when Gogs lists the organisation as theirs but does not say which teams they
 * are in (identity/org-roles.ts says when that is).
 */
export type OrgRoleName = 'owner' | 'admin' | 'write' | 'read' | 'member';

export interface OrgRole {
  /** The organisation as Gogs spells its name now. */
  org: string;
  role: OrgRoleName;
  /** Milliseconds since the epoch. */
  syncedAt: number;
}

/** The organisation as the policy sees it (a Gogs user or organisation name, matched without regard to case). */
export interface PolicyOrg {
  name: string;
}

export interface PolicyRequest {
  principal: Principal;
  action: PolicyAction;
  /** The repository acted on; null for actions on the sidecar itself (`admin`) or on an organisation. */
  repo: PolicyRepo | null;
  /** The principal's rights on `repo`; null when none are known (not linked to Gogs, or no rights). */
  access: RepoAccess | null;
  /** The organisation acted on as a whole (its secrets); absent for every other action. */
  org?: PolicyOrg;
  /** The principal's role in `org`; null when none is known (not a member, or not linked to Gogs). */
  orgRole?: OrgRole | null;
  now: number;
}

export type PolicyDecision =
  | { allow: true; rule: string }
  | {
      allow: false;
      rule: string;
      /** For the person asking: what is missing and what would change it. */
      reason: string;
      /** True when fresh rights from Gogs might change the answer: ask again after refreshing them. */
      refresh?: true;
    };

/** The repository as the policy sees it. */
export interface PolicyRepo {
  fullName: string;
  private: boolean;
}

/** Where a person's rights on a repository come from: identity/ syncs them from Gogs with their own token. */
export interface RepoAccessSource {
  /** The rights held (from the cache unless `fresh`, then read from Gogs now); null for none or not linked. */
  accessOf(actor: Principal, repo: PolicyRepo, options: { fresh: boolean }): Promise<RepoAccess | null>;
}

/**
 * Where a person's role in an organisation comes from: identity/ syncs it from Gogs with their own token (and,
 * for team membership, the sidecar's). Every call may reach Gogs; safe to call concurrently.
 */
export interface OrgRoleSource {
  /** The role held in `org` (from the cache unless `fresh`, then read from Gogs now); null for none or not linked. */
  roleOf(actor: Principal, org: PolicyOrg, options: { fresh: boolean }): Promise<OrgRole | null>;
}

/** The policy in front of every service call and route. */
export interface Authorizer {
  /**
   * Resolves when `actor` may do `action` to `repo`; otherwise records the denial in the audit log and throws
   * AppError UNAUTHORIZED (nobody signed in) or FORBIDDEN, with the reason.
   */
  authorize(actor: Principal, action: PolicyAction, repo: PolicyRepo | null): Promise<void>;
  /** The same question about an organisation as a whole (its secrets), with the same denials. */
  authorizeOrg(actor: Principal, action: OrgAction, org: PolicyOrg): Promise<void>;
}
