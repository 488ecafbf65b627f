/**
 * Which secrets a build gets: pure, so that the table of rules is tested exhaustively. A repository's secret
 * overrides its organisation's of the same name (without regard to case); then each rule may withhold a secret,
 * with a reason that can be logged by name (never with the value).
 */
import type { BuildOrigin } from '../core/index.ts';

export interface ExposureCandidate {
  level: 'repo' | 'org';
  name: string;
  /** The secret allows pull requests from the repository itself. */
  pullRequest: boolean;
}

export type ExposureBuild = Pick<BuildOrigin, 'event' | 'fork'>;

interface ExposureRule {
  name: string;
  /** Why the secret is withheld from the build; null when this rule lets it through. */
  withholds(secret: ExposureCandidate, build: ExposureBuild): string | null;
}

const isPullRequest = (build: ExposureBuild) => build.event === 'pull_request';

/** In order; the first that withholds a secret names why. */
export const EXPOSURE_RULES: readonly ExposureRule[] = [
  {
    name: 'fork-pull-request',
    withholds: (_secret, build) =>
      isPullRequest(build) && build.fork !== '' ? 'pull requests from forks get no secrets' : null,
  },
  {
    name: 'pull-request-not-allowed',
    withholds: (secret, build) =>
      isPullRequest(build) && !secret.pullRequest ? 'not exposed to pull requests' : null,
  },
];

export interface Exposure<T extends ExposureCandidate> {
  exposed: T[];
  withheld: { secret: T; rule: string; reason: string }[];
}

/**
 * The secrets the build gets, one per case-insensitive name (the repository's over the organisation's), and the
 * ones withheld with the rule that withheld them. An organisation secret shadowed by a repository secret is in
 * neither list.
 */
export function exposeSecrets<T extends ExposureCandidate>(
  candidates: readonly T[],
  build: ExposureBuild,
): Exposure<T> {
  const byName = new Map<string, T>();
  for (const candidate of candidates) {
    const key = candidate.name.toLowerCase();
    const held = byName.get(key);
    if (held === undefined || (held.level === 'org' && candidate.level === 'repo'))
      byName.set(key, candidate);
  }
  const result: Exposure<T> = { exposed: [], withheld: [] };
  for (const secret of byName.values()) {
    const rule = EXPOSURE_RULES.find((each) => each.withholds(secret, build) !== null);
    if (rule === undefined) result.exposed.push(secret);
    else result.withheld.push({ secret, rule: rule.name, reason: rule.withholds(secret, build) ?? '' });
  }
  return result;
}
