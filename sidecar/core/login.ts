/** Signing in and out, as the HTTP routes drive it (identity/login-service.ts implements it). */
import type { Principal } from './principal.ts';
import type { StartedSession, StoredSession } from './session.ts';

/** A login that ended: the session to set, where to go, and whether the person still has to connect Gogs. */
export interface SignedIn {
  session: StartedSession;
  expiresAt: number;
  returnTo: string;
  /** False for an OIDC identity no Gogs user matched: the person is asked to connect their Gogs account. */
  linked: boolean;
}

export interface LoginRefused {
  /** For the person: what happened and what to do next; never a password or a token. */
  refused: string;
  /** A server the login needs (the OpenID provider, Gogs) did not answer: trying again later may work. */
  unavailable?: boolean;
}

/** Where a browser goes after signing out. */
export interface SignedOut {
  /** The provider's end-session URL, or a page of this site (`/login?logged_out=1…`). */
  redirect: string;
  /**
   * Set when the browser is sent to the provider's logout: the provider it is, and the `state` it was given,
   * which comes back on the return to `/login?logged_out=1`.
   */
  providerLogout: { provider: string; state: string } | null;
}

export interface LoginService {
  /** The providers offered on the login page. */
  providerNames(): Promise<string[]>;
  startOidc(
    provider: string,
    returnTo: string | undefined,
  ): Promise<{ redirect: URL; pending: string } | LoginRefused>;
  finishOidc(provider: string, callback: URL, pending: string | undefined): Promise<SignedIn | LoginRefused>;
  /**
   * The Gogs login form. With `waiting` (the session of an OIDC identity not linked yet), the identity is linked
   * to the Gogs account that signed in.
   */
  signInWithPassword(
    form: { username: string; password: string; returnTo: string | undefined },
    waiting: StoredSession | null,
  ): Promise<SignedIn | LoginRefused>;
  /**
   * A Gogs access token the person pasted, checked with Gogs (`GET /user`) and stored as theirs. Needs a
   * session: an OIDC identity waiting to be connected (linked to the token's Gogs user), or a signed-in person
   * (the token must be of their own Gogs user). Starts a new session; the old one ends.
   */
  connectWithToken(
    form: { token: string; returnTo: string | undefined },
    session: StoredSession | null,
  ): Promise<SignedIn | LoginRefused>;
  /** Whether the session's person signed in through a provider and drone-gogs holds no Gogs token of theirs. */
  needsGogsToken(session: StoredSession): Promise<boolean>;
  /**
   * Ends the session (audited as `logout`). A session from an OIDC login is sent on to its provider's
   * RP-initiated logout where the provider offers one, with the session's ID token as the hint; otherwise back
   * to the login page, which says whether the provider's own session is still open.
   */
  signOut(session: StoredSession | null, by: Principal): Promise<SignedOut>;
}
