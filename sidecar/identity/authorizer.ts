/**
 * The policy asked with the principal's current rights: from the cache first, and again from Gogs when the
 * policy says fresh rights could change its answer (anything that changes something needs rights read within
 * the last minute). Every denial lands in the audit log with the rule and the reason.
 */
import {
  AppError,
  type AuditLog,
  type Authorizer,
  type Clock,
  type PolicyRequest,
  type RepoAccessSource,
} from '../core/index.ts';
import { decide } from '../policy/index.ts';

export interface AuthorizerDeps {
  access: RepoAccessSource;
  audit: AuditLog;
  clock: Clock;
}

/** Until identity links people to Gogs, nobody but the box's admin has rights: what anonymous visitors have. */
export const NO_ACCESS: RepoAccessSource = { accessOf: async () => null };

export function createAuthorizer(deps: AuthorizerDeps): Authorizer {
  return {
    async authorize(actor, action, repo) {
      const person = actor.kind === 'user' && repo !== null;
      const ask = async (fresh: boolean): Promise<PolicyRequest> => ({
        principal: actor,
        action,
        repo,
        access: person ? await deps.access.accessOf(actor, repo, { fresh }) : null,
        now: deps.clock.now(),
      });
      let decision = decide(await ask(false));
      if (!decision.allow && decision.refresh === true) decision = decide(await ask(true));
      if (decision.allow) return;
      await deps.audit.record({
        actor,
        action: 'policy.deny',
        target: repo?.fullName ?? 'drone-gogs',
        decision: 'deny',
        detail: { action, rule: decision.rule, reason: decision.reason },
      });
      throw new AppError(actor.kind === 'anonymous' ? 'UNAUTHORIZED' : 'FORBIDDEN', decision.reason);
    },
  };
}
