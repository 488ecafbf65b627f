/**
 * What the sidecar asks of a repository's git remote before a build exists: which commit a ref names, and
 * which files a build changes. git/ implements it with the real git over HTTP(S); trigger/ uses it.
 */

/** HTTP Basic credentials for a clone URL (a Gogs user and access token); null for public repositories. */
export type GitCredentials = { username: string; password: string } | null;

export interface GitRemote {
  /**
   * The commit `ref` points to on the remote (`refs/heads/x`, `refs/tags/v1`, `refs/pull/7/head`), with
   * annotated tags peeled to their commit; null when the remote has no such ref. Throws AppError GIT_FAILED
   * when the remote cannot be asked (unreachable, refused credentials), with what to check.
   */
  resolveRef(remote: string, ref: string, credentials: GitCredentials): Promise<string | null>;
  /**
   * The paths that differ between two commits, as `paths:` conditions see them: `from..to` for a push,
   * `merge-base(from, to)..to` with `mergeBase` (a pull request against its target branch, `from` then being
   * the target's ref). Null when it cannot be known: `from` is empty or all zeros (a new branch), a commit is
   * missing, or more paths changed than conditions may look at. Objects are fetched into a cache kept per
   * `cacheKey` (without file contents), so the next build of the repository fetches only what is new.
   */
  changedPaths(request: ChangedPathsRequest): Promise<string[] | null>;
  /**
   * Where the cache of `cacheKey` keeps its bare repository on this host (it may not exist yet), for the runner
   * to clone from before it asks the remote. It holds commits fetched by {@link changedPaths}, file contents too
   * unless the server honoured the blob filter, and never credentials. Throws BAD_REQUEST for a bad cache key.
   */
  cachedRepository(cacheKey: string): string;
  /**
   * Resolves once the fetches into the cache of `cacheKey` that this process has begun are over (at once when
   * none is), so that a clone reads the commit a trigger is still fetching rather than asking the remote again.
   */
  cacheSettled(cacheKey: string): Promise<void>;
  /**
   * Resolves once every call this process has begun ({@link resolveRef}, {@link changedPaths}) is over: a process
   * that stops waits for them, so no git runs in the data directory after the process said it stopped.
   */
  settled(): Promise<void>;
}

/** What a clone is told of the trigger's cache of its repository (a {@link WorkspaceSource}'s `cache` fields). */
export interface RepositoryCache {
  /** {@link GitRemote.cachedRepository}. */
  cache: string;
  /** {@link GitRemote.cacheSettled}. */
  cacheSettled: () => Promise<void>;
}

/** The cache key of a repository's commits, the same for the trigger's fetches and the runner's clones. */
export function repositoryCacheKey(repo: { gogsId: number }): string {
  return `repo-${repo.gogsId}`;
}

export interface ChangedPathsRequest {
  cacheKey: string;
  remote: string;
  credentials: GitCredentials;
  from: string;
  to: string;
  mergeBase: boolean;
}
