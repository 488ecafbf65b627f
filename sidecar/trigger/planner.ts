/**
 * Planning for the long-running sidecar: the same thread and deadline as plan-under-deadline.ts, but the
 * thread that answered in time is kept warm for the next file instead of a new one being started for each
 * (starting one costs a few hundred milliseconds, paid twice per build: at creation and at claim). A thread
 * past its deadline is terminated as before and the next call starts a fresh one. Planning is pure, so a
 * thread carries nothing from one file to the next.
 */
import type { Worker } from 'node:worker_threads';
import { AppError, type BuildContext, type Running } from '../core/index.ts';
import { type PipelinePlan, type PlanOptions, planningTooLong } from '../pipeline/index.ts';
import {
  type DeadlineOptions,
  type PipelineSource,
  PLAN_DEADLINE_MS,
  type PlanThreadReply,
  type PlanThreadRequest,
  spawnPlanThread,
} from './plan-under-deadline.ts';

export interface Planner extends Running {
  /** planPipelines under the deadline, as planUnderDeadline does; calls may run concurrently. */
  plan(file: PipelineSource, context: BuildContext, options?: PlanOptions): Promise<PipelinePlan>;
}

export function createPlanner(options: DeadlineOptions = {}): Planner {
  const spawn = options.spawn ?? spawnPlanThread;
  const deadlineMs = options.deadlineMs ?? PLAN_DEADLINE_MS;
  let idle: Worker | null = null;
  let closed = false;

  const started = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const thread = spawn();
      thread.once('message', (reply: PlanThreadReply) => {
        if ('ready' in reply) resolve(thread);
        else reject(new AppError('INTERNAL', 'trigger: the planning thread answered before it was asked'));
      });
      thread.once('error', (cause) =>
        reject(new AppError('INTERNAL', 'trigger: the planning thread failed', { cause })),
      );
    });

  /** The warm thread when there is one (it stays warm only while it sits unused), else a new one. */
  const take = async (): Promise<Worker> => {
    const warm = idle;
    idle = null;
    if (warm !== null) {
      warm.removeAllListeners('exit');
      return warm;
    }
    return started();
  };

  const giveBack = (thread: Worker) => {
    if (closed || idle !== null) {
      void thread.terminate();
      return;
    }
    idle = thread;
    // A warm thread that dies while it waits is simply not used.
    thread.once('exit', () => {
      if (idle === thread) idle = null;
    });
  };

  const ask = async (request: PlanThreadRequest): Promise<PlanThreadReply | null> => {
    const thread = await take();
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (settle: () => void, keep: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        thread.removeListener('message', onMessage);
        thread.removeListener('error', onError);
        thread.removeListener('exit', onExit);
        if (keep) giveBack(thread);
        else void thread.terminate();
        settle();
      };
      const onMessage = (reply: PlanThreadReply) => {
        if (!('ready' in reply)) done(() => resolve(reply), true);
      };
      const onError = (cause: unknown) =>
        done(() => reject(new AppError('INTERNAL', 'trigger: the planning thread failed', { cause })), false);
      const onExit = (code: number) =>
        done(
          () =>
            reject(
              new AppError('INTERNAL', `trigger: the planning thread stopped early (exit code ${code})`),
            ),
          false,
        );
      const timer = setTimeout(() => done(() => resolve(null), false), deadlineMs);
      thread.on('message', onMessage);
      thread.once('error', onError);
      thread.once('exit', onExit);
      thread.postMessage(request);
    });
  };

  return {
    async plan(file, context, planOptions = {}) {
      const reply = await ask({ kind: 'plan', ...file, context, options: planOptions });
      return reply !== null && 'plan' in reply ? reply.plan : planningTooLong();
    },
    async stop() {
      closed = true;
      const warm = idle;
      idle = null;
      await warm?.terminate();
    },
  };
}
