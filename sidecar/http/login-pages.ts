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
  problem?: string;
  /** A signed-in OIDC identity that no Gogs user matched yet. */
  waiting?: boolean;
  /** Who is signed in. */
  signedIn?: string | undefined;
  /** The session's CSRF token, which the forms send back when there is a session. */
  csrf?: string | undefined;
}): Page {
  const csrf = input.csrf ? html`<input type="hidden" name="_csrf" value="${input.csrf}">` : '';
  const rd = encodeURIComponent(input.returnTo);
  return layout(
    input.waiting ? 'Connect your Gogs account' : 'Sign in',
    html`${input.problem ? html`<p class="error" role="alert">${input.problem}</p>` : ''}
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
&gt; Applications as <code>drone-gogs</code>) and never your password.</p>`
    : ''
}
${
  input.providers.length > 0 && !input.waiting
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
</form>`,
  );
}

export function refusedPage(message: string, returnTo: string): Page {
  return layout(
    'Sign-in failed',
    html`<p class="error" role="alert">${message}</p>
<p><a href="/login?rd=${encodeURIComponent(returnTo)}">Try again</a></p>`,
  );
}
