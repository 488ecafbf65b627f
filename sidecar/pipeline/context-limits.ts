/**
 * How long the pusher-supplied strings of a {@link BuildContext} may be before planning refuses them: branch and
 * tag names, refs, changed paths, the commit message. Matching is O(pattern × value), so these caps, with the
 * 1 MB file cap, bound every match. A table of small named checks, run in order; the first that fails is the one
 * problem of the build.
 */
import type { BuildContext } from '../core/index.ts';

/** Branch, tag, ref, target, cron and repository names, authors, each changed path (Linux's PATH_MAX). */
export const MAX_NAME_CHARS = 4096;
/** A ref is a name under its prefix: `refs/heads/`, `refs/tags/`, `refs/pull/N/head`. */
export const MAX_REF_CHARS = MAX_NAME_CHARS + 32;
/** The commit message, a pull request's title and each custom build parameter. */
export const MAX_TEXT_CHARS = 65_536;
/** More changed files than this and they count as unknown, so `paths:` conditions match (as on Drone). */
export const MAX_CHANGED_PATHS = 10_000;

interface LimitCheck {
  name: string;
  values: (context: BuildContext) => readonly string[];
  limit: number;
}

const nameCheck = (name: string, values: LimitCheck['values']): LimitCheck => ({
  name,
  values,
  limit: MAX_NAME_CHARS,
});

const LIMIT_CHECKS: readonly LimitCheck[] = [
  nameCheck('event', (c) => [c.event]),
  nameCheck('action', (c) => [c.action]),
  { name: 'ref', values: (c) => [c.ref], limit: MAX_REF_CHARS },
  nameCheck('branch', (c) => [c.branch]),
  nameCheck('source branch', (c) => [c.sourceBranch]),
  nameCheck('deploy target', (c) => [c.deployTarget]),
  nameCheck('cron job name', (c) => [c.cron]),
  nameCheck('repository name', (c) => [c.repo.owner, c.repo.name]),
  nameCheck('commit', (c) => [c.commit.sha, c.commit.before, c.commit.link]),
  nameCheck('commit author', (c) => Object.values(c.commit.author)),
  nameCheck('changed path', (c) => c.changedPaths ?? []),
  nameCheck('build parameter name', (c) => Object.keys(c.build.params)),
  { name: 'commit message', values: (c) => [c.commit.message], limit: MAX_TEXT_CHARS },
  { name: 'pull request title', values: (c) => [c.commit.title], limit: MAX_TEXT_CHARS },
  { name: 'build parameter', values: (c) => Object.values(c.build.params), limit: MAX_TEXT_CHARS },
];

/** Why the context is refused (`the branch is 5,000 characters long; the limit is 4,096`), or null. */
export function contextLimitProblem(context: BuildContext): string | null {
  for (const { name, values, limit } of LIMIT_CHECKS) {
    const longest = values(context).reduce((most, value) => Math.max(most, value.length), 0);
    if (longest > limit) {
      return `the ${name} is ${longest.toLocaleString('en')} characters long; the limit is ${limit.toLocaleString('en')}`;
    }
  }
  return null;
}

/** The context planning matches on: too many changed files are as good as unknown. */
export function boundedContext(context: BuildContext): BuildContext {
  const paths = context.changedPaths;
  return paths !== null && paths.length > MAX_CHANGED_PATHS ? { ...context, changedPaths: null } : context;
}
