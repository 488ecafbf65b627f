/**
 * The policy on an organisation as a whole (its secrets), exhaustively: every action for every kind of
 * principal and every role in the organisation (fresh and stale), against the rule the README states (its owners
 * and CI admins manage its secrets); then what each denial says and when it asks for fresh roles.
 */
import { describe, expect, it } from 'vitest';
import {
  ANONYMOUS,
  LOCAL_ADMIN,
  type OrgRole,
  type OrgRoleName,
  POLICY_ACTIONS,
  type PolicyAction,
  type Principal,
} from '../../sidecar/core/index.ts';
import { decide, FRESH_RIGHTS_MS } from '../../sidecar/policy/index.ts';
import { person } from '../support/refusal.ts';

const NOW = 1_800_000_000_000;
const ACME = { name: 'acme' };
const PRINCIPALS: Record<string, Principal> = {
  'local admin': LOCAL_ADMIN,
  'CI admin': person('root', { admin: true }),
  person: person('alice'),
  deployer: person('dana', { roles: ['deployer'], subject: 'okta:00u1' }),
  anonymous: ANONYMOUS,
};
const NAMES: readonly OrgRoleName[] = ['owner', 'admin', 'write', 'read', 'member'];
const ROLES: Record<string, OrgRole | null> = {
  none: null,
  ...Object.fromEntries(NAMES.map((role) => [role, { org: 'acme', role, syncedAt: NOW - 1000 }])),
  ...Object.fromEntries(
    NAMES.map((role) => [`${role}, stale`, { org: 'acme', role, syncedAt: NOW - FRESH_RIGHTS_MS - 1 }]),
  ),
};

/** The rule in the README's words. */
function expected(principal: string, action: PolicyAction, role: string): boolean {
  if (principal === 'local admin' || principal === 'CI admin') return true;
  return action === 'manage-secrets' && principal !== 'anonymous' && role === 'owner';
}

const ask = (principal: Principal, action: PolicyAction, orgRole: OrgRole | null) =>
  decide({ principal, action, repo: null, access: null, org: ACME, orgRole, now: NOW });

describe('the policy on an organisation', () => {
  it('decides every action for every principal and role as the rule says', () => {
    let cases = 0;
    for (const action of POLICY_ACTIONS)
      for (const [who, principal] of Object.entries(PRINCIPALS))
        for (const [role, orgRole] of Object.entries(ROLES)) {
          const decision = ask(principal, action, orgRole);
          expect({ action, who, role, allow: decision.allow }).toEqual({
            action,
            who,
            role,
            allow: expected(who, action, role),
          });
          if (!decision.allow) expect(decision.reason.length).toBeGreaterThan(10);
          cases++;
        }
    expect(cases).toBe(POLICY_ACTIONS.length * 5 * 11);
  });

  it('says what each role lacks, and asks for fresh roles when they are stale or none is known', () => {
    const alice = PRINCIPALS.person ?? ANONYMOUS;
    expect(ask(alice, 'manage-secrets', ROLES.owner ?? null)).toEqual({
      allow: true,
      rule: 'organisation-role',
    });
    expect(ask(alice, 'manage-secrets', ROLES.admin ?? null)).toEqual({
      allow: false,
      rule: 'organisation-role',
      reason:
        'only owners of organisation acme in Gogs and CI admins may manage its secrets; your highest team permission there is admin',
    });
    expect(ask(alice, 'manage-secrets', ROLES.member ?? null)).toMatchObject({
      allow: false,
      rule: 'organisation-role',
      reason: expect.stringMatching(/does not show drone-gogs which teams you are in .*site admin/),
    });
    expect(ask(alice, 'manage-secrets', ROLES.member ?? null)).not.toHaveProperty('refresh');
    expect(ask(alice, 'manage-secrets', null)).toEqual({
      allow: false,
      rule: 'organisation-role',
      reason:
        'only owners of organisation acme in Gogs and CI admins may manage its secrets; Gogs does not list you as a member of acme, or your Gogs account is not connected yet',
      refresh: true,
    });
    expect(ask(alice, 'manage-secrets', ROLES['owner, stale'] ?? null)).toEqual({
      allow: false,
      rule: 'fresh-org-role',
      reason: 'your role in organisation acme must be read from Gogs again first',
      refresh: true,
    });
    expect(ask(ANONYMOUS, 'manage-secrets', null)).toEqual({
      allow: false,
      rule: 'signed-in',
      reason: 'log in to act on organisation acme',
    });
    expect(ask(alice, 'restart', ROLES.owner ?? null)).toMatchObject({
      allow: false,
      rule: 'organisation-action',
    });
    expect(ask(alice, 'admin', ROLES.owner ?? null)).toMatchObject({ allow: false, rule: 'ci-admins-only' });
  });

  it('still needs a repository or an organisation for every action but admin', () => {
    expect(
      decide({ principal: person('alice'), action: 'manage-secrets', repo: null, access: null, now: NOW }),
    ).toMatchObject({ allow: false, rule: 'repository-named' });
  });
});
