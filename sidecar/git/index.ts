/**
 * git/: what the sidecar asks a repository's git remote, with the real git over HTTP(S) — which commit a ref
 * names, which files a build changes — and the environment every git command of drone-gogs runs with.
 *
 *   const git = createGitRemote({ cacheDir: join(dataDir, 'git-cache') });
 *   const sha = await git.resolveRef(cloneUrl, 'refs/pull/7/head', { username: token, password: '' });
 *   const paths = await git.changedPaths({ cacheKey: String(repoId), remote: cloneUrl, credentials,
 *     from: before, to: after, mergeBase: false });
 *
 * Cache keys are 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit. Refs, commits, cache
 * keys and remotes that must not reach git are refused with BAD_REQUEST before git runs.
 */

export { basicAuthorization, type GitEnvironmentOptions, gitEnvironment } from './git-environment.ts';
export { createGitRemote, DEFAULT_GIT_TIMEOUT_MS, type GitRemoteOptions } from './git-remote.ts';
