/**
 * Planning a file that came from a push, in a thread of its own that is terminated past a deadline. The planner
 * is bounded already (context caps, a budget of matching steps, linear matchers); this is the belt to those
 * braces, so that no file and no branch name can hold the sidecar's event loop, whatever is found next.
 */
import { Worker } from 'node:worker_threads';
import { AppError, type BuildContext } from '../core/index.ts';
import {
  type LintOptions,
  type PipelinePlan,
  type PlanOptions,
  type Problem,
  planningTooLong,
} from '../pipeline/index.ts';

/** How long one file may take once its thread has started: parse, lint and plan. */
export const PLAN_DEADLINE_MS = 2000;

/** A pipeline file as it was read: its bytes (or text) and the name its problems are reported under. */
export interface PipelineSource {
  source: string | Uint8Array;
  fileName: string;
}

export interface DeadlineOptions {
  /** Milliseconds from the thread being ready to its answer; past them it is terminated. */
  deadlineMs?: number;
  /** Starts the thread that runs plan-thread.ts (tests pass one to watch it). */
  spawn?: () => Worker;
}

/** The messages between the caller and plan-thread.ts: one request, one answer, then the thread ends. */
export type PlanThreadRequest =
  | ({ kind: 'plan'; context: BuildContext; options: PlanOptions } & PipelineSource)
  | ({ kind: 'lint'; options: LintOptions } & PipelineSource);
export type PlanThreadReply = { ready: true } | { plan: PipelinePlan } | { problems: Problem[] };

export function spawnPlanThread(): Worker {
  return new Worker(new URL('./plan-thread.ts', import.meta.url));
}

/**
 * planPipelines on the parsed file, in a fresh thread. Resolves to its result or, past the deadline, to the plan
 * of one problem, "planning took too long; simplify the conditions" (the thread is terminated before it
 * resolves). Rejects with AppError INTERNAL only when the thread itself fails. Calls are independent and may
 * run concurrently, one thread each.
 */
export async function planUnderDeadline(
  file: PipelineSource,
  context: BuildContext,
  planOptions: PlanOptions = {},
  options: DeadlineOptions = {},
): Promise<PipelinePlan> {
  const request: PlanThreadRequest = { kind: 'plan', ...file, context, options: planOptions };
  const reply = await inThread(request, options);
  return reply !== null && 'plan' in reply ? reply.plan : planningTooLong();
}

export const LINT_TOO_LONG = 'checking the file took too long; make it smaller or simpler';

/** lintPipelineFile on the parsed file, the same way: past the deadline, one problem saying so. */
export async function lintUnderDeadline(
  file: PipelineSource,
  lintOptions: LintOptions,
  options: DeadlineOptions = {},
): Promise<Problem[]> {
  const reply = await inThread({ kind: 'lint', ...file, options: lintOptions }, options);
  if (reply !== null && 'problems' in reply) return reply.problems;
  return [{ severity: 'error', rule: 'lint-too-long', message: LINT_TOO_LONG, line: 1, col: 1 }];
}

/** The thread's answer, or null when the deadline passed; the thread is gone when this settles. */
function inThread(request: PlanThreadRequest, options: DeadlineOptions): Promise<PlanThreadReply | null> {
  const thread = (options.spawn ?? spawnPlanThread)();
  const deadlineMs = options.deadlineMs ?? PLAN_DEADLINE_MS;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      thread.terminate().then(settle, settle);
    };
    thread.on('message', (reply: PlanThreadReply) => {
      if (!('ready' in reply)) return finish(() => resolve(reply));
      timer = setTimeout(() => finish(() => resolve(null)), deadlineMs);
      thread.postMessage(request);
    });
    thread.once('error', (cause) =>
      finish(() => reject(new AppError('INTERNAL', 'trigger: the planning thread failed', { cause }))),
    );
    thread.once('exit', (code) =>
      finish(() =>
        reject(new AppError('INTERNAL', `trigger: the planning thread stopped early (exit code ${code})`)),
      ),
    );
  });
}
