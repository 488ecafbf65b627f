/**
 * The thread of plan-under-deadline.ts: it says it is ready, parses and plans (or lints) the one file it is
 * sent, answers and waits to be terminated (it never ends on its own, so its end is always the caller's).
 */
import { parentPort } from 'node:worker_threads';
import { lintPipelineFile, parsePipelineFile, planPipelines } from '../pipeline/index.ts';
import type { PlanThreadReply, PlanThreadRequest } from './plan-under-deadline.ts';

const port = parentPort;
if (!port) throw new Error('plan-thread.ts runs only as a worker thread');

port.on('message', (request: PlanThreadRequest) => {
  const file = parsePipelineFile(request.source, { fileName: request.fileName });
  const reply: PlanThreadReply =
    request.kind === 'lint'
      ? { problems: lintPipelineFile(file, request.options) }
      : { plan: planPipelines(file, request.context, request.options) };
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies PlanThreadReply);
