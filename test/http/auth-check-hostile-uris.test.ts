/**
 * /auth/check against forwarded URIs made to be read one way by the check and another by the file server
 * behind Caddy: each would reach acme/other (private; Alice may read only acme/secret) or pass as a public page,
 * and each is answered 401, even for Alice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieHeader, startAuthApp } from '../support/auth-app.ts';

describe('/auth/check with hostile X-Forwarded-Uri', () => {
  let s: Awaited<ReturnType<typeof startAuthApp>>;
  beforeAll(async () => {
    s = await startAuthApp();
  });
  afterAll(() => s?.dispose());

  const status = async (uri: string | null) =>
    (
      await s.app.request('/auth/check', {
        headers: { ...cookieHeader(s.alice.cookie), ...(uri === null ? {} : { 'x-forwarded-uri': uri }) },
      })
    ).status;

  it('still lets Alice through on a plain URI of her repository (the cases below differ only in their trick)', async () => {
    expect(await status('/private/acme/secret/x/')).toBe(204);
  });

  it.each([
    ['dot-dot segments into another repository', '/private/acme/secret/../../other/x'],
    ['encoded dot-dot', '/private/acme/secret/%2e%2e/%2e%2e/other/x'],
    ['mixed-case encoded dot-dot', '/private/acme/secret/%2E%2e/.%2E/other/x'],
    ['a dot-dot from a public path into a private one', '/pub/../private/acme/other/x'],
    ['a dot segment before /private/', '/./private/acme/other/x'],
    ['an encoded slash in the owner', '/private/acme%2fother/x'],
    ['an encoded slash with dot-dots', '/private/acme/secret%2F..%2F..%2Fother/x'],
    ['a backslash', '/private/acme/secret/..\\..\\other/x'],
    ['an encoded backslash', '/private/acme/secret/..%5c..%5cother/x'],
    ['double encoding', '/private/acme/secret/%252e%252e/%252e%252e/other/x'],
    ['an encoded letter of /private/', '/%70rivate/acme/other/x'],
    ['upper case /PRIVATE/', '/PRIVATE/acme/other/x'],
    ['an empty segment', '/private//acme/other/x'],
    ['a protocol-relative URI', '//evil.example/private/acme/other/x'],
    ['an absolute URI', 'https://ci.example.com/private/acme/secret/'],
    ['not a path', 'private/acme/secret/'],
    ['an encoded NUL', '/private/acme/secret/%00/x'],
    ['a malformed escape', '/private/acme/secret/%zz'],
    ['raw non-ASCII', '/private/acme/secret/é'],
    ['over 2 KB', `/private/acme/secret/${'a'.repeat(2100)}`],
    ['/private/ without a repository', '/private/acme/'],
  ])('refuses %s', async (_name, uri) => {
    expect(await status(uri)).toBe(401);
  });

  it('refuses a missing or empty X-Forwarded-Uri', async () => {
    expect(await status(null)).toBe(401);
    expect(await status('')).toBe(401);
  });
});
