/**
 * The policy asked with the principal's current rights: from the cache first, and again from Gogs when the
 * policy says fresh rights could change its answer (anything that changes something needs rights read within
 * the last minute). Every denial lands in the audit log with the rule and the reason (repeats of a refused read
 * within a minute as one row with their count: denial-audit.ts).
 */
import {
  AppError,
  type AuditLog,
  type Authorizer,
  type Clock,
  type Logger,
  type OrgRoleSource,
  type PolicyAction,
  type PolicyDecision,
  type PolicyRequest,
  type Principal,
  type RepoAccessSource,
} from '../core/index.ts';
import { decide } from '../policy/index.ts';
import { createDenialRecorder } from './denial-audit.ts';

export interface AuthorizerDeps {
  access: RepoAccessSource;
  /** Roles in organisations (their secrets); none unless given. */
  orgRoles?: OrgRoleSource;
  audit: AuditLog;
  clock: Clock;
  logger?: Logger;
}

/** Until identity links people to Gogs, nobody but the box's admin has rights: what anonymous visitors have. */
export const NO_ACCESS: RepoAccessSource = { accessOf: async () => null };
export const NO_ORG_ROLES: OrgRoleSource = { roleOf: async () => null };

export function createAuthorizer(deps: AuthorizerDeps): Authorizer {
  const orgRoles = deps.orgRoles ?? NO_ORG_ROLES;
  const denials = createDenialRecorder({
    audit: deps.audit,
    clock: deps.clock,
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
  });

  /** Decides, asks again with fresh rights when the policy says they could change the answer, audits a denial. */
  const decideAndRecord = async (
    actor: Principal,
    action: PolicyAction,
    target: string,
    ask: (fresh: boolean) => Promise<PolicyRequest>,
  ): Promise<void> => {
    let decision: PolicyDecision = decide(await ask(false));
    if (!decision.allow && decision.refresh === true) decision = decide(await ask(true));
    if (decision.allow) return;
    // Reads are what crawlers and stale bookmarks repeat (forward_auth asks before every private page): their
    // repeats are counted. A refused change is rare and telling, and always a row of its own.
    const recorder = action === 'view' || action === 'view-logs' ? denials : deps.audit;
    await recorder.record({
      actor,
      action: 'policy.deny',
      target,
      decision: 'deny',
      detail: { action, rule: decision.rule, reason: decision.reason },
    });
    throw new AppError(actor.kind === 'anonymous' ? 'UNAUTHORIZED' : 'FORBIDDEN', decision.reason);
  };

  return {
    async authorize(actor, action, repo) {
      const person = actor.kind === 'user' && repo !== null;
      await decideAndRecord(actor, action, repo?.fullName ?? 'drone-gogs', async (fresh) => ({
        principal: actor,
        action,
        repo,
        access: person ? await deps.access.accessOf(actor, repo, { fresh }) : null,
        now: deps.clock.now(),
      }));
    },

    async authorizeOrg(actor, action, org) {
      await decideAndRecord(actor, action, `organisation ${org.name.toLowerCase()}`, async (fresh) => ({
        principal: actor,
        action,
        repo: null,
        access: null,
        org,
        // A CI admin may anyway: Gogs is not asked.
        orgRole: actor.kind === 'user' && !actor.admin ? await orgRoles.roleOf(actor, org, { fresh }) : null,
        now: deps.clock.now(),
      }));
    },
  };
}
