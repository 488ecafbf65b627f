/**
 * The sign-in pages: plain HTML that works without JavaScript, every value escaped (hono/html), no inline
 * script. What they show is what the person can do next.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Page = HtmlEscapedString | Promise<HtmlEscapedString>;

function layout(title: string, body: Page): Page {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title} · drone-gogs</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }
form, .providers { margin: 1.5rem 0; } label { display: block; margin: .5rem 0; }
input[type=text], input[type=password] { width: 100%; padding: .4rem; box-sizing: border-box; }
button, .provider { display: inline-block; padding: .45rem 1rem; margin: .25rem 0; }
.error { color: #b42318; border-left: 3px solid; padding-left: .75rem; }
.notice { border-left: 3px solid; padding-left: .75rem; }
</style>
</head>
<body>
<h1>${title}</h1>
${body}
</body>
</html>`;
}

export function loginPage(input: {
  providers: readonly string[];
  returnTo: string;
  /** Why the last attempt failed; shown above the form. */
  problem?: string | undefined;
  /** What just happened (signed out); shown above the form. */
  notice?: string | undefined;
  /** A signed-in OIDC identity that no Gogs user matched yet. */
  waiting?: boolean;
  /** Who is signed in. */
  signedIn?: string | undefined;
  /** The signed-in person came through a provider and drone-gogs holds no Gogs token of theirs. */
  tokenMissing?: boolean;
  /** The session's CSRF token, which the forms send back when there is a session. */
  csrf?: string | undefined;
}): Page {
  const csrf = input.csrf ? html`<input type="hidden" name="_csrf" value="${input.csrf}">` : '';
  const rd = encodeURIComponent(input.returnTo);
  const connecting = input.waiting === true || (input.signedIn !== undefined && input.tokenMissing === true);
  return layout(
    connecting ? 'Connect your Gogs account' : 'Sign in',
    html`${input.problem ? html`<p class="error" role="alert">${input.problem}</p>` : ''}
${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ''}
${
  input.signedIn
    ? html`<p>Signed in as <strong>${input.signedIn}</strong>.</p>
<form method="post" action="/logout">${csrf}<button type="submit">Sign out</button></form>`
    : ''
}
${
  input.waiting
    ? html`<p>You are signed in, but no Gogs account matched you. Until you connect yours, you see what visitors
see. Sign in to Gogs once below: drone-gogs keeps one access token for you (listed in Gogs under Your Settings
&gt; Applications as <code>drone-gogs</code>) and never your password. Or paste an access token of yours.</p>`
    : ''
}
${
  !input.waiting && connecting
    ? html`<p>drone-gogs holds no Gogs access token of yours, so it sees only your own repositories and your
direct collaborations, not what your teams give you. Paste a token of your Gogs account to connect it.</p>`
    : ''
}
${
  input.providers.length > 0 && !connecting
    ? html`<div class="providers">${input.providers.map(
        (name) =>
          html`<a class="provider" href="/login/oidc/${encodeURIComponent(name)}?rd=${rd}">Sign in with ${name}</a><br>`,
      )}</div>
<p>Or with your Gogs account:</p>`
    : ''
}
<form method="post" action="/login/gogs">
<input type="hidden" name="rd" value="${input.returnTo}">${csrf}
<label>Gogs username <input type="text" name="username" autocomplete="username" required maxlength="64"></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required maxlength="1024"></label>
<button type="submit">Sign in with Gogs</button>
</form>
${
  connecting
    ? html`<p>Or connect with an access token of your Gogs account:</p>
<form method="post" action="/login/gogs/token">
<input type="hidden" name="rd" value="${input.returnTo}">${csrf}
<label>Gogs access token <input type="password" name="token" autocomplete="off" spellcheck="false" required minlength="20" maxlength="200"></label>
<button type="submit">Connect with this token</button>
</form>
<p>Make one in Gogs under Your Settings &gt; Applications &gt; Generate New Token. drone-gogs checks it with
Gogs, keeps it encrypted and reads your rights with it.</p>`
    : ''
}`,
  );
}

export function refusedPage(
  message: string,
  returnTo: string,
  options: { title?: string; retry?: string } = {},
): Page {
  const login = `/login?rd=${encodeURIComponent(returnTo)}`;
  return layout(
    options.title ?? 'Sign-in failed',
    html`<p class="error" role="alert">${message}</p>
${
  options.retry === undefined
    ? html`<p><a href="${login}">Try again</a></p>`
    : html`<p><a href="${options.retry}">Try again</a>, or <a href="${login}">sign in another way</a>.</p>`
}`,
  );
}
