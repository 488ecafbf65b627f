/**
 * A sign-in that cannot start because the OpenID provider does not answer its discovery: over HTTP against a
 * real oidc-provider that was stopped, the sidecar answers 503 with a page that says what to do, and logs one
 * warning of its own naming the provider and the reason, without the client secret.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cookiesOf, type loginBrowser, startSidecarWithProvider } from '../support/login-browser.ts';
import type { TestOidcProvider } from '../support/oidc-provider.ts';
import type { SidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';

const CLIENT_SECRET = 'client-secret-of-drone-gogs-down';

describe('a sign-in provider that is down', () => {
  let t: SidecarBesideGogs;
  let op: TestOidcProvider;
  afterEach(async () => {
    await op.stop();
    await t.dispose();
  });

  it('answers 503 with what to do next, and logs a warning naming the provider and the reason', async () => {
    let browser: ReturnType<typeof loginBrowser>;
    ({ t, op, browser } = await startSidecarWithProvider({ clientSecret: CLIENT_SECRET, accounts: [] }));
    await op.stop();

    const response = await browser.get('/login/oidc/corp?rd=%2Falice%2Fapp%2F');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('60');
    expect(cookiesOf(response).has('drone_gogs_login')).toBe(false);
    const page = await response.text();
    expect(page).toContain('The sign-in provider corp cannot be reached right now. Try again in a minute');
    expect(page).toContain('href="/login/oidc/corp?rd=%2Falice%2Fapp%2F"');
    expect(page).toContain('href="/login?rd=%2Falice%2Fapp%2F"');

    const started = t.logLines.filter((line) => line.includes('identity: OIDC sign-in not started'));
    expect(started).toHaveLength(1);
    expect(started[0]).toMatch(
      /^\S+ WARN {2}identity: OIDC sign-in not started provider=corp reason=provider-unreachable$/,
    );
    expect(t.logLines.join('\n')).not.toContain(CLIENT_SECRET);

    // A provider nobody configured is the person's mistake, not an outage: 400, and no warning.
    const unknown = await browser.get('/login/oidc/nope');
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('There is no sign-in provider named nope here');
    const unknownLines = t.logLines.filter((line) => line.includes('sign-in not started provider=nope'));
    expect(unknownLines).toHaveLength(1);
    expect(unknownLines[0]).toContain(' INFO ');
  });
});
