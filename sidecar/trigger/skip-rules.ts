/**
 * Why a delivery makes no build, as a table of small named checks in the order Drone applies them. The first
 * that answers decides; its name is logged and its reason stored on the delivery.
 */
import type { HookEvent, Repo } from '../core/index.ts';

export interface SkipFacts {
  event: HookEvent;
  repo: Repo;
}

export interface SkipRule {
  name: string;
  /** Why there is no build, or null when this rule has nothing against one. */
  check(facts: SkipFacts): string | null;
}

const ZERO_SHA = /^0+$/;
const SKIP_MARKERS = ['[ci skip]', '[skip ci]', '***no_ci***'];
/** Pull request actions that change what would be built. */
const BUILT_PULL_REQUEST_ACTIONS = new Set(['opened', 'reopened', 'synchronized']);

function skipMarkerIn(text: string): string | undefined {
  const lower = text.toLowerCase();
  return SKIP_MARKERS.find((marker) => lower.includes(marker));
}

export const SKIP_RULES: readonly SkipRule[] = [
  {
    name: 'repository-inactive',
    check: ({ repo }) =>
      repo.active ? null : `${repo.fullName} is not enabled; \`drone-gogs repo enable ${repo.fullName}\``,
  },
  {
    name: 'not-a-build-event',
    check: ({ event }) =>
      event.kind === 'push' || event.kind === 'tag' || event.kind === 'pull_request'
        ? null
        : `${event.kind} events do not start builds (pushes, tags and pull requests do)`,
  },
  {
    name: 'ignore-pull-requests',
    check: ({ event, repo }) =>
      event.kind === 'pull_request' && repo.ignorePullRequests
        ? `${repo.fullName} builds no pull requests; \`drone-gogs repo set ${repo.fullName} --ignore-pull-requests=false\``
        : null,
  },
  {
    name: 'ignore-forks',
    check: ({ event, repo }) =>
      event.kind === 'pull_request' && event.pullRequest?.fromFork === true && repo.ignoreForks
        ? `${repo.fullName} builds no pull requests from forks; \`drone-gogs repo set ${repo.fullName} --ignore-forks=false\``
        : null,
  },
  {
    name: 'ref-deleted',
    check: ({ event }) =>
      event.action === 'deleted' || (event.kind === 'push' && ZERO_SHA.test(event.after))
        ? `${event.ref} was deleted`
        : null,
  },
  {
    name: 'pull-request-closed',
    check: ({ event }) =>
      event.kind === 'pull_request' && event.action === 'closed'
        ? event.pullRequest?.merged
          ? 'the pull request was merged; the merge is built by its push'
          : 'the pull request was closed'
        : null,
  },
  {
    name: 'pull-request-unchanged',
    check: ({ event }) =>
      event.kind === 'pull_request' && !BUILT_PULL_REQUEST_ACTIONS.has(event.action)
        ? `pull requests are built when opened, reopened or pushed to, not when ${event.action}`
        : null,
  },
  {
    name: 'skip-marker',
    check: ({ event }) => {
      if (event.kind === 'tag') return null;
      const texts: [string, string][] = [
        ['commit message', event.commits[0]?.message ?? ''],
        ['title', event.pullRequest?.title ?? ''],
      ];
      for (const [where, text] of texts) {
        const marker = skipMarkerIn(text);
        if (marker !== undefined) return `the ${where} says ${marker}`;
      }
      return null;
    },
  },
];

/** The first rule that skips the event, or null when it builds. */
export function firstSkip(facts: SkipFacts): { rule: string; reason: string } | null {
  for (const rule of SKIP_RULES) {
    const reason = rule.check(facts);
    if (reason !== null) return { rule: rule.name, reason };
  }
  return null;
}
