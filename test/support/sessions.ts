import { randomBytes } from 'node:crypto';
import type { AuditLog, Clock, SessionService, SessionUser, Stores } from '../../sidecar/core/index.ts';
import { createSessionPrincipals, createSessionService } from '../../sidecar/identity/index.ts';
import { createSecretCipher, type SecretCipher } from '../../sidecar/secrets/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';

/** The session service over the test stores, with its own secret key unless given one; `admins` in lower case. */
export function testSessionService(
  stores: Pick<Stores, 'sessions' | 'sessionKeys'>,
  audit: AuditLog,
  options: { admins?: readonly string[]; cipher?: SecretCipher; clock?: Clock } = {},
): SessionService & { cipher: SecretCipher } {
  const cipher = options.cipher ?? createSecretCipher(randomBytes(32));
  const service = createSessionService({
    sessions: stores.sessions,
    keys: stores.sessionKeys,
    cipher,
    principals: createSessionPrincipals({ admins: new Set(options.admins ?? []) }),
    audit,
    clock: options.clock ?? { now: () => Date.now() },
    logger: silentLogger,
  });
  return { ...service, cipher };
}

/** A user signing in with a Gogs login alone. */
export function gogsSignIn(userId: number, login: string): SessionUser {
  return { userId, identityId: null, login, admin: false, roles: [], subject: null };
}
