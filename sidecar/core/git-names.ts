/**
 * Checks of the git names and commit ids that pushers choose, for every boundary where they enter (webhook
 * payloads, reconciliation, the runner's checkout input). Pure. Each check returns why the value is refused, or
 * null: the reason goes into a 400, a report or an error as it is.
 */

/** SHA-1 (40) or SHA-256 (64) object names, as git prints them: lowercase hex, never abbreviated. */
const COMMIT_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** What Gogs sends as the old value of a new branch: forty zeros, a well-formed SHA that names no commit. */
export const ZERO_SHA = '0'.repeat(40);

export function isCommitSha(value: string): boolean {
  return COMMIT_SHA.test(value);
}

export function commitShaProblem(value: string): string | null {
  return isCommitSha(value) ? null : 'expected a full commit SHA (40 or 64 lowercase hex characters)';
}

/** Characters git refuses anywhere in a ref: controls, DEL, space and ~ ^ : ? * [ \ (check-ref-format rules 4, 5, 10). */
const FORBIDDEN_CHARACTER = /[\u0000-\u0020\u007f~^:?*[\\]/;

function componentProblem(component: string): string | null {
  if (component === '') return 'has an empty component (a leading, trailing or double slash)';
  if (component.startsWith('.')) return `has a component starting with "." (${component})`;
  if (component.endsWith('.lock')) return `has a component ending with ".lock" (${component})`;
  return null;
}

/**
 * Why `ref` is not a full ref name as `git check-ref-format <ref>` judges it (at least two components:
 * `refs/heads/main`), or null. A leading `-` is refused too: git's command line cannot even be asked about it.
 */
export function refNameProblem(ref: string): string | null {
  if (ref === '') return 'is empty';
  if (ref.startsWith('-')) return 'starts with "-"';
  const forbidden = FORBIDDEN_CHARACTER.exec(ref);
  if (forbidden !== null) return `contains ${JSON.stringify(forbidden[0])}`;
  if (ref.includes('..')) return 'contains ".."';
  if (ref.includes('@{')) return 'contains "@{"';
  if (ref === '@') return 'is "@"';
  if (ref.endsWith('.')) return 'ends with "."';
  const components = ref.split('/');
  for (const component of components) {
    const problem = componentProblem(component);
    if (problem !== null) return problem;
  }
  if (components.length < 2) return 'has a single component (expected refs/…)';
  return null;
}

function shortNameProblem(name: string, prefix: string): string | null {
  if (name === '') return 'is empty';
  if (name.startsWith('-')) return 'starts with "-"';
  return refNameProblem(`${prefix}${name}`);
}

/** Why `name` is not a branch name as `git check-ref-format --branch <name>` judges it, or null. */
export function branchNameProblem(name: string): string | null {
  return name === 'HEAD' ? 'is "HEAD"' : shortNameProblem(name, 'refs/heads/');
}

/** Why `name` is not a tag name `git tag` would create, or null. */
export function tagNameProblem(name: string): string | null {
  return shortNameProblem(name, 'refs/tags/');
}

/**
 * Why `ref` is not a ref a build may be about: a valid full ref whose branch or tag, under refs/heads/ or
 * refs/tags/, is itself a valid branch or tag name. Null when it is.
 */
export function buildRefProblem(ref: string): string | null {
  if (ref.startsWith('refs/heads/')) return branchNameProblem(ref.slice('refs/heads/'.length));
  if (ref.startsWith('refs/tags/')) return tagNameProblem(ref.slice('refs/tags/'.length));
  return refNameProblem(ref);
}
