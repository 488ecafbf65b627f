/**
 * `trigger:` (pipeline) and `when:` (step) evaluation, as tables of small named checks (spec §4). A check returns
 * nothing when the build passes it, or the reason it does not.
 *
 * The two tables differ on purpose, as in Drone: the server evaluates `trigger` on branch, event, action, ref,
 * repo, target and cron (never instance); the runner evaluates `when` on those plus instance. `status` is not a
 * filter in either: it sets the step's run policy or the stage's on_success/on_failure. `paths` is ignored by
 * Drone's open-source server and runner; here it is evaluated when the changed files are known (the behaviour
 * of the drone-convert-pathschanged extension) and matches when they are not.
 */
import type { BuildContext, RunPolicy } from '../core/index.ts';
import type { Condition, ConditionKey, Conditions } from './document.ts';
import { isEmptyCondition } from './document.ts';
import { matchGlob } from './glob.ts';
import { type MatchBudget, unlimitedBudget } from './match-budget.ts';

/**
 * Drone's Condition.Match: an exclude match rejects, an include match accepts, no include accepts everything.
 * Every glob spends from `budget` (see match-budget.ts).
 */
export function conditionMatches(
  condition: Condition,
  value: string,
  budget: MatchBudget = unlimitedBudget(),
): boolean {
  if (condition.exclude.some((pattern) => matchGlob(pattern, value, budget))) return false;
  if (condition.include.some((pattern) => matchGlob(pattern, value, budget))) return true;
  return condition.include.length === 0;
}

/** `paths`: some changed file must pass the condition; unknown changes (null) or an empty condition match. */
export function pathsMatch(
  condition: Condition,
  changedPaths: readonly string[] | null,
  budget: MatchBudget = unlimitedBudget(),
): boolean {
  if (isEmptyCondition(condition) || changedPaths === null) return true;
  return changedPaths.some((path) => conditionMatches(condition, path, budget));
}

export interface ConditionCheck {
  name: string;
  check: (conditions: Conditions, context: BuildContext, budget: MatchBudget) => string | undefined;
}

function valueCheck(
  key: ConditionKey,
  value: (context: BuildContext) => string,
  label: string,
): ConditionCheck {
  return {
    name: key,
    check: (conditions, context, budget) =>
      conditionMatches(conditions[key], value(context), budget)
        ? undefined
        : `does not match ${label} "${value(context)}"`,
  };
}

const branchCheck = valueCheck('branch', (c) => c.branch, 'branch');
const eventCheck = valueCheck('event', (c) => c.event, 'event');
const actionCheck = valueCheck('action', (c) => c.action, 'action');
const refCheck = valueCheck('ref', (c) => c.ref, 'ref');
const repoCheck = valueCheck('repo', (c) => `${c.repo.owner}/${c.repo.name}`, 'repository');
const targetCheck = valueCheck('target', (c) => c.deployTarget, 'deploy target');
const cronCheck = valueCheck('cron', (c) => c.cron, 'cron job');
const instanceCheck = valueCheck('instance', (c) => c.system.host, 'instance');
const pathsCheck: ConditionCheck = {
  name: 'paths',
  check: (conditions, context, budget) =>
    pathsMatch(conditions.paths, context.changedPaths, budget) ? undefined : 'no changed file matches paths',
};

/** The server's order for `trigger` (drone trigger.go); `instance` is not evaluated there. */
export const TRIGGER_CHECKS: readonly ConditionCheck[] = [
  branchCheck,
  eventCheck,
  actionCheck,
  refCheck,
  repoCheck,
  targetCheck,
  cronCheck,
  pathsCheck,
];

/** The runner's `when` keys (manifest.Match) plus paths. */
export const WHEN_CHECKS: readonly ConditionCheck[] = [
  cronCheck,
  refCheck,
  repoCheck,
  instanceCheck,
  targetCheck,
  eventCheck,
  branchCheck,
  actionCheck,
  pathsCheck,
];

/** First failing check as `name: reason`, or undefined when all pass. */
export function firstMismatch(
  checks: readonly ConditionCheck[],
  conditions: Conditions,
  context: BuildContext,
  budget: MatchBudget = unlimitedBudget(),
): string | undefined {
  for (const { name, check } of checks) {
    const reason = check(conditions, context, budget);
    if (reason !== undefined) return `${name}: ${reason}`;
  }
  return undefined;
}

/**
 * A step's run policy (drone-runner-docker util.go): from `when.status` (no status: on-success; matching both
 * success and failure: always; failure: on-failure), then `never` when another `when` key does not match.
 */
export function stepRunPolicy(
  when: Conditions,
  context: BuildContext,
  budget: MatchBudget = unlimitedBudget(),
): { policy: RunPolicy; reason?: string } {
  const mismatch = firstMismatch(WHEN_CHECKS, when, context, budget);
  if (mismatch !== undefined) return { policy: 'never', reason: mismatch };
  return { policy: statusRunPolicy(when.status, budget) };
}

export function statusRunPolicy(status: Condition, budget: MatchBudget = unlimitedBudget()): RunPolicy {
  if (isEmptyCondition(status)) return 'on-success';
  const onFailure = conditionMatches(status, 'failure', budget);
  if (onFailure && conditionMatches(status, 'success', budget)) return 'always';
  return onFailure ? 'on-failure' : 'on-success';
}

/** A pipeline's on_success/on_failure (drone trigger.go): on_failure is false unless `status` is given. */
export function pipelineStatusFlags(
  status: Condition,
  budget: MatchBudget = unlimitedBudget(),
): { onSuccess: boolean; onFailure: boolean } {
  return {
    onSuccess: conditionMatches(status, 'success', budget),
    onFailure: isEmptyCondition(status) ? false : conditionMatches(status, 'failure', budget),
  };
}
