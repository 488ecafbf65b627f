/** Finding what a caller names: a repository by OWNER/NAME and one of its builds by number, or a clear refusal. */
import {
  AppError,
  type BuildStore,
  type BuildWithStages,
  type PolicyRepo,
  type Repo,
  type RepoStore,
} from '../core/index.ts';

/** Longer than any OWNER/NAME Gogs allows; a longer one is refused before it reaches a query or a message. */
const MAX_FULL_NAME_CHARS = 512;

export async function repoNamed(repos: RepoStore, fullName: string): Promise<Repo> {
  if (fullName.length > MAX_FULL_NAME_CHARS)
    throw new AppError('BAD_REQUEST', `a repository name is at most ${MAX_FULL_NAME_CHARS} characters`);
  const repo = await repos.findByFullName(fullName);
  if (repo === null) throw new AppError('NOT_FOUND', `no repository ${fullName} is known to drone-gogs`);
  return repo;
}

/**
 * The repository and its build numbered `number`; a number that cannot be a build's is refused first, and
 * `allowed` (the policy) is asked about the repository before the build is read.
 */
export async function buildNamed(
  stores: { repos: RepoStore; builds: BuildStore },
  fullName: string,
  number: number,
  allowed: (repo: Repo) => Promise<void>,
): Promise<{ repo: Repo; found: BuildWithStages }> {
  if (!(Number.isSafeInteger(number) && number >= 1))
    throw new AppError('BAD_REQUEST', 'a build number is a whole number from 1');
  const repo = await repoNamed(stores.repos, fullName);
  await allowed(repo);
  const found = await stores.builds.find(repo.id, number);
  if (found === null) throw new AppError('NOT_FOUND', `${repo.fullName} has no build #${number}`);
  return { repo, found };
}

/** The repository as the policy sees it. */
export function policyRepoOf(repo: Repo): PolicyRepo {
  return { fullName: repo.fullName, private: repo.private };
}
