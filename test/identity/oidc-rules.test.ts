/**
 * The pure parts of OIDC login: where a login may return to, how groups and claims are read, what a provider's
 * configuration must satisfy, and that a failure's detail is scrubbed of the login's secrets.
 */
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, oidcProviderProblems, withOidcDefaults } from '../../sidecar/core/index.ts';
import { localReturnTo } from '../../sidecar/identity/index.ts';
import { groupsFrom, identityFromClaims, mergeClaims } from '../../sidecar/identity/oidc-claims.ts';
import { oidcFailure } from '../../sidecar/identity/oidc-failures.ts';

describe('localReturnTo', () => {
  it.each([
    ['/acme/app', '/acme/app'],
    ['/acme/app/builds/3?tab=logs#step-2', '/acme/app/builds/3?tab=logs#step-2'],
    ['/a/../b', '/b'],
  ])('keeps the local path %s', (input, kept) => {
    expect(localReturnTo(input)).toBe(kept);
  });

  it.each([
    undefined,
    '',
    'https://evil.example/',
    '//evil.example/x',
    '/\\evil.example',
    '\\\\evil.example',
    '/ok\u0000',
    '/x\nSet-Cookie: a=b',
    'javascript:alert(1)',
    'acme/app',
    `/${'a'.repeat(2048)}`,
  ])('sends %j home instead', (input) => {
    expect(localReturnTo(input)).toBe('/');
  });
});

describe('claims', () => {
  it('reads groups from an array of strings or a single string, and nothing else', () => {
    expect(groupsFrom(['a', 'b', 3, null])).toEqual(['a', 'b']);
    expect(groupsFrom('a')).toEqual(['a']);
    expect(groupsFrom('')).toEqual([]);
    expect(groupsFrom({ a: 1 })).toEqual([]);
    expect(groupsFrom(undefined)).toEqual([]);
  });

  it('lets the ID token win, and takes email and its flag from one source', () => {
    const merged = mergeClaims(
      { sub: 's', email: 'id@example.test' },
      { sub: 'other', preferred_username: 'u', email: 'info@example.test', email_verified: true },
    );
    expect(merged).toMatchObject({ sub: 's', preferred_username: 'u', email: 'id@example.test' });
    expect(merged.email_verified).toBeUndefined();
  });

  it('applies the rules in order and names the one broken', () => {
    const config = withOidcDefaults({
      name: 'corp',
      issuer: 'https://sso.example.test',
      clientId: 'ci',
      clientSecret: 's',
      requiredGroups: ['dev'],
      adminGroups: ['ops'],
      requireVerifiedEmail: true,
    });
    const token = { issuer: 'https://sso.example.test', idToken: 'x.y.z', expiresAt: 1 };
    expect(
      identityFromClaims(config, { sub: 's', email: 'e@x', email_verified: 'true', groups: 'ops' }, token),
    ).toMatchObject({ reason: 'username-missing', detail: 'username: no string claim preferred_username' });
    expect(
      identityFromClaims(config, { sub: 's', preferred_username: 'u', email: 'e@x', groups: ['dev'] }, token),
    ).toMatchObject({ reason: 'email-not-verified' });
    // An admin group does not stand in for a required one.
    expect(
      identityFromClaims(
        config,
        { sub: 's', preferred_username: 'u', email: 'e@x', email_verified: true, groups: ['ops'] },
        token,
      ),
    ).toMatchObject({ reason: 'group-missing' });
    expect(
      identityFromClaims(
        config,
        { sub: 's', preferred_username: ' u ', email: 'e@x', email_verified: 'true', groups: ['dev', 'ops'] },
        token,
      ),
    ).toMatchObject({ username: 'u', emailVerified: true, admin: true, idToken: 'x.y.z' });
  });
});

describe('provider configuration', () => {
  const base = { name: 'corp', issuer: 'https://sso.example.test', clientId: 'ci', clientSecret: 's' };

  it('fills in the defaults', () => {
    expect(withOidcDefaults(base)).toMatchObject({
      scopes: ['openid', 'email', 'profile'],
      usernameClaim: 'preferred_username',
      groupsClaim: 'groups',
      requiredGroups: [],
      adminGroups: [],
      requireVerifiedEmail: false,
    });
    expect(oidcProviderProblems(withOidcDefaults(base))).toEqual([]);
  });

  it('allows plain http on loopback hosts only', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['example.test', '10.0.0.1', '127.0.0.1.example.test', '0.0.0.0'])
      expect(isLoopbackHost(host)).toBe(false);
    expect(oidcProviderProblems(withOidcDefaults({ ...base, issuer: 'http://127.0.0.1:8080' }))).toEqual([]);
    expect(oidcProviderProblems(withOidcDefaults({ ...base, issuer: 'http://sso.example.test' }))).toEqual([
      'OIDC provider "corp": issuer must use https (http is allowed on a loopback host only)',
    ]);
  });

  it('reports every problem at once', () => {
    const problems = oidcProviderProblems(
      withOidcDefaults({
        name: 'a'.repeat(33),
        issuer: 'not a url',
        clientId: ' ',
        clientSecret: '',
        scopes: ['email'],
      }),
    );
    expect(problems).toHaveLength(5);
  });
});

describe('failures', () => {
  it('scrubs the secrets and anything shaped like a JWT out of the detail, and caps it', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVl';
    const failed = oidcFailure('code-rejected', 'corp', `code abc123secret and ${jwt}`, ['abc123secret']);
    expect(failed.detail).toBe('code [redacted] and [token]');
    expect(failed.message).toContain('corp did not accept this sign-in');
    expect(oidcFailure('provider-error', 'corp', 'x'.repeat(1000)).detail.length).toBeLessThanOrEqual(301);
  });
});
