import { type AppError, isAppError, type Principal } from '../../sidecar/core/index.ts';

/** The AppError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

/** A signed-in Gogs user with no CI admin rights, roles or OIDC identity unless given. */
export function person(login: string, extra: Partial<Extract<Principal, { kind: 'user' }>> = {}): Principal {
  return { kind: 'user', login, admin: false, roles: [], subject: null, ...extra };
}
