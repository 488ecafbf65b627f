/**
 * The policy, exhaustively: every action for every kind of principal, every set of Gogs rights (fresh and stale)
 * and both visibilities, against the rules as the README states them; then what a denial says.
 */
import { describe, expect, it } from 'vitest';
import {
  ANONYMOUS,
  LOCAL_ADMIN,
  POLICY_ACTIONS,
  type PolicyAction,
  type Principal,
  type RepoAccess,
} from '../../sidecar/core/index.ts';
import { decide, FRESH_RIGHTS_MS } from '../../sidecar/policy/index.ts';

const NOW = 1_800_000_000_000;
const user = (login: string, extra: Partial<Extract<Principal, { kind: 'user' }>> = {}): Principal => ({
  kind: 'user',
  login,
  admin: false,
  roles: [],
  subject: null,
  ...extra,
});

const PRINCIPALS: Record<string, Principal> = {
  'local admin': LOCAL_ADMIN,
  'CI admin': user('root', { admin: true }),
  person: user('alice'),
  deployer: user('dana', { roles: ['deployer'], subject: 'okta:00u1' }),
  anonymous: ANONYMOUS,
};
const fresh = (rights: Partial<RepoAccess>): RepoAccess => ({
  admin: false,
  push: false,
  pull: false,
  syncedAt: NOW - 1000,
  ...rights,
});
const ACCESS: Record<string, RepoAccess | null> = {
  none: null,
  read: fresh({ pull: true }),
  push: fresh({ pull: true, push: true }),
  admin: fresh({ pull: true, push: true, admin: true }),
  'push, stale': { ...fresh({ pull: true, push: true }), syncedAt: NOW - FRESH_RIGHTS_MS - 1 },
  'admin, stale': { ...fresh({ pull: true, push: true, admin: true }), syncedAt: NOW - FRESH_RIGHTS_MS - 1 },
};

/** The rules in the README's words. */
const READS = new Set<PolicyAction>(['view', 'view-logs']);
const PUSHES = new Set<PolicyAction>(['trigger', 'restart', 'cancel', 'approve', 'promote']);
const ADMINS = new Set<PolicyAction>(['manage-secrets', 'manage-repo']);
function expected(principal: string, action: PolicyAction, rights: string, isPrivate: boolean): boolean {
  if (principal === 'local admin' || principal === 'CI admin') return true;
  if (action === 'admin') return false;
  if (READS.has(action) && !isPrivate) return true;
  if (principal === 'anonymous') return false;
  const stale = rights.endsWith('stale');
  const level = rights.replace(', stale', '');
  if (READS.has(action)) return level !== 'none';
  if (stale) return false;
  if (action === 'promote' && principal === 'deployer' && level !== 'none') return true;
  if (PUSHES.has(action)) return level === 'push' || level === 'admin';
  return ADMINS.has(action) && level === 'admin';
}

describe('the policy', () => {
  it('decides every action for every principal, set of rights and visibility as the rules say', () => {
    let cases = 0;
    for (const action of POLICY_ACTIONS)
      for (const [who, principal] of Object.entries(PRINCIPALS))
        for (const [rights, access] of Object.entries(ACCESS))
          for (const isPrivate of [false, true]) {
            const repo = action === 'admin' ? null : { fullName: 'acme/app', private: isPrivate };
            const decision = decide({ principal, action, repo, access, now: NOW });
            expect({ action, who, rights, isPrivate, allow: decision.allow }).toEqual({
              action,
              who,
              rights,
              isPrivate,
              allow: expected(who, action, rights, isPrivate),
            });
            if (!decision.allow) expect(decision.reason.length).toBeGreaterThan(10);
            cases++;
          }
    expect(cases).toBe(POLICY_ACTIONS.length * 5 * 6 * 2);
  });

  it('names the rule that decided and says what is missing', () => {
    const repo = { fullName: 'acme/app', private: true };
    expect(decide({ principal: ANONYMOUS, action: 'view', repo, access: null, now: NOW })).toEqual({
      allow: false,
      rule: 'signed-in',
      reason: 'log in to see or act on this private repository',
    });
    expect(
      decide({
        principal: user('alice'),
        action: 'manage-secrets',
        repo,
        access: ACCESS.push ?? null,
        now: NOW,
      }),
    ).toEqual({ allow: false, rule: 'gogs-rights', reason: 'this needs admin access to acme/app in Gogs' });
    expect(
      decide({
        principal: user('alice'),
        action: 'restart',
        repo,
        access: ACCESS['push, stale'] ?? null,
        now: NOW,
      }),
    ).toMatchObject({ allow: false, rule: 'fresh-rights', refresh: true });
    expect(
      decide({ principal: user('alice'), action: 'admin', repo: null, access: null, now: NOW }),
    ).toMatchObject({
      allow: false,
      rule: 'ci-admins-only',
    });
    expect(
      decide({
        principal: PRINCIPALS.deployer ?? ANONYMOUS,
        action: 'promote',
        repo,
        access: ACCESS.read ?? null,
        now: NOW,
      }),
    ).toEqual({ allow: true, rule: 'role-grant' });
    expect(decide({ principal: user('bob'), action: 'view', repo, access: null, now: NOW })).toMatchObject({
      allow: false,
      reason: expect.stringMatching(/not connected yet/),
    });
  });

  it('needs a repository for every action but admin', () => {
    for (const action of POLICY_ACTIONS.filter((each) => each !== 'admin'))
      expect(decide({ principal: user('alice'), action, repo: null, access: null, now: NOW })).toMatchObject({
        allow: false,
        rule: 'repository-named',
      });
  });
});
