/**
 * One step's container from creation to exit: created, attached before start so no output is lost, started,
 * waited for. Output flows into the step's {@link StepLog} until the container is gone.
 */
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from '../core/index.ts';
import { isConflictOrNotModified, isNotFound } from './docker-errors.ts';
import type { StepLog } from './step-log.ts';

export interface ContainerExit {
  exitCode: number;
  oomKilled: boolean;
}

export interface StartedContainer {
  id: string;
  /** Resolves when the container exited and its output reached the log (or the stream broke). */
  exited: Promise<ContainerExit>;
  kill(): Promise<void>;
  /**
   * Stops following without touching the container (this process goes away; recovery re-attaches later): the
   * attach stream and the wait request are closed; resolves once what was read reached the log's sink. `exited`
   * then never settles.
   */
  leave(): Promise<void>;
}

/** Only a SIGKILLed container (exit 137) can have been killed for memory; asking costs an API call. */
async function wasOomKilled(container: Docker.Container): Promise<boolean> {
  try {
    return Boolean((await container.inspect()).State?.OOMKilled);
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export async function startContainer(
  docker: Docker,
  spec: Docker.ContainerCreateOptions,
  log: StepLog,
  logger: Logger,
  stepName: string,
  engineLost?: AbortSignal,
): Promise<StartedContainer> {
  const container = await docker.createContainer(spec);
  const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as Duplex;
  const streamed = log
    .follow(stream, (error) => {
      logger.warn('runner: log stream of a step broke', { step: stepName, error: String(error) });
    })
    .catch((error: unknown) => {
      logger.warn('runner: step log failed', { step: stepName, error: String(error) });
    });
  // Waiting for the next exit, registered before start, cannot miss a container that exits at once.
  const waitAbort = new AbortController();
  const waited = container.wait({ condition: 'next-exit', abortSignal: waitAbort.signal });
  waited.catch(() => {});
  await container.start();
  const followed = (async () => {
    const { StatusCode } = (await waited) as { StatusCode: number };
    await streamed;
    return { exitCode: StatusCode, oomKilled: StatusCode === 137 && (await wasOomKilled(container)) };
  })();
  // A dead engine leaves the wait request open for ever (the socket closes without an error); the caller says so.
  const exited = engineLost === undefined ? followed : Promise.race([followed, rejectOnAbort(engineLost)]);
  exited.catch(() => {});
  let leaving: Promise<void> | null = null;
  return {
    id: container.id,
    exited,
    kill: async () => {
      try {
        await container.kill();
      } catch (error) {
        // Not running any more, or already removed: nothing left to stop.
        if (!isNotFound(error) && !isConflictOrNotModified(error)) throw error;
      }
    },
    leave() {
      leaving ??= (async () => {
        waitAbort.abort();
        stream.destroy();
        await streamed;
      })();
      return leaving;
    },
  };
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new Error(String(signal.reason ?? 'the Docker engine stopped answering')));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
