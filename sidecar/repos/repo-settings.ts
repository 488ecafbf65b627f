import type { RepoSettingsChange } from '../core/index.ts';

/** A week: longer stages are a mistake, not a build. */
export const MAX_TIMEOUT_MINUTES = 7 * 24 * 60;

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
  return null;
}
