import { APPROVAL_RULES, type RepoSettingsChange } from '../core/index.ts';

/** A week: longer stages are a mistake, not a build. */
export const MAX_TIMEOUT_MINUTES = 7 * 24 * 60;
/** Stages of one repository at once: beyond this a throttle limits nothing a box can run. */
export const MAX_THROTTLE = 1000;
/** Logins on one repository's approval allow-list. */
export const MAX_ALLOW_LIST = 100;
/** Gogs' own rule for user names (AlphaDashDot, at most 35 characters). */
const GOGS_LOGIN = /^[A-Za-z0-9_.-]{1,35}$/;

/** What is wrong with a settings change, in the words of the CLI's options; null when it may be applied. */
export function settingsProblem(change: RepoSettingsChange): string | null {
  const minutes = change.timeoutMinutes;
  if (
    minutes !== undefined &&
    minutes !== null &&
    !(Number.isInteger(minutes) && minutes >= 1 && minutes <= MAX_TIMEOUT_MINUTES)
  )
    return `--timeout takes minutes from 1 to ${MAX_TIMEOUT_MINUTES}, or default`;
  if (change.configPath !== undefined) {
    const path = change.configPath;
    const inside = path !== '' && !path.startsWith('/') && !path.split('/').includes('..');
    if (!inside || /[\0-\x1f]/.test(path) || path.length > 1024)
      return '--config takes a path inside the repository, e.g. .drone.yml or ci/drone.yml';
  }
  if (change.requireApproval !== undefined && !APPROVAL_RULES.includes(change.requireApproval))
    return `--approval takes one of ${APPROVAL_RULES.join(', ')}`;
  const throttle = change.throttle;
  if (throttle !== undefined && !(Number.isInteger(throttle) && throttle >= 0 && throttle <= MAX_THROTTLE))
    return `--throttle takes a number of stages from 0 (no limit) to ${MAX_THROTTLE}`;
  for (const [option, logins] of [
    ['--approve-user', change.approvalAllowListAdd],
    ['--no-approve-user', change.approvalAllowListRemove],
  ] as const) {
    if (logins === undefined) continue;
    if (logins.length > MAX_ALLOW_LIST) return `${option} is given more than ${MAX_ALLOW_LIST} times`;
    const bad = logins.find((login) => !isGogsLogin(login));
    if (bad !== undefined)
      return `${option} takes a Gogs user name (letters, digits, '-', '_' and '.', at most 35 characters)`;
  }
  return null;
}

/** The allow-list after a change: added logins appended (lower case, once each), removed ones taken out. */
export function changedAllowList(current: readonly string[], change: RepoSettingsChange): string[] {
  const removed = new Set((change.approvalAllowListRemove ?? []).map((login) => login.toLowerCase()));
  const next = new Set(current.filter((login) => !removed.has(login)));
  for (const login of change.approvalAllowListAdd ?? []) next.add(login.toLowerCase());
  return [...next];
}

function isGogsLogin(login: string): boolean {
  return GOGS_LOGIN.test(login) && login !== '.' && login !== '..';
}
