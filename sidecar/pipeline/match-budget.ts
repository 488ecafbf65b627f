/**
 * The planner's budget of matching steps: every glob, image reference and `${var#pattern}` match counts what it
 * does (a step is a rune compared or a memo entry filled), and past the limit it stops. An operation count, not
 * a clock, so the same file and build give the same answer on every machine; the deadline of
 * trigger/plan-under-deadline.ts is the belt to these braces.
 */

/**
 * Ample for real files (the most any file of the corpus spends on a plan is about 30,000) and well under a
 * second of matching at worst.
 */
export const MATCH_STEP_LIMIT = 20_000_000;

/** The one problem of a plan that ran out of budget (or, in a worker, out of time). */
export const PLANNING_TOO_LONG = 'planning took too long; simplify the conditions';

/** Steps spent so far, shared by every match of one plan. Pass a fresh one per plan. */
export interface MatchBudget {
  steps: number;
  readonly limit: number;
}

/** Thrown past the limit; planPipelines turns it into the one problem, nothing else catches it. */
export class MatchBudgetExceeded extends Error {
  constructor() {
    super(PLANNING_TOO_LONG);
  }
}

export function createMatchBudget(limit = MATCH_STEP_LIMIT): MatchBudget {
  return { steps: 0, limit };
}

/** A budget for callers outside a plan (lint, tests): counts, never stops. */
export function unlimitedBudget(): MatchBudget {
  return createMatchBudget(Number.POSITIVE_INFINITY);
}

export function spend(budget: MatchBudget, steps: number): void {
  budget.steps += steps;
  if (budget.steps > budget.limit) throw new MatchBudgetExceeded();
}
