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
  refused: string;
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
  /** Ends the session; where to send the browser afterwards. */
  signOut(session: StoredSession | null, by: Principal): Promise<string>;
}
