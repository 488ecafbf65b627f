/**
 * A step held running until the test has looked at its container from outside (its environment, processes,
 * volume): the step's commands end in a wait loop that `release` ends.
 */
import type Docker from 'dockerode';

export const RELEASE_FILE = '/tmp/release-the-step';
/** The last command of a held step. */
export const HOLD_COMMAND = `while [ ! -e ${RELEASE_FILE} ]; do sleep 0.1; done`;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The running container carrying every label (`key=value`), once its script has reached the wait loop. Throws
 * after a minute, naming the labels.
 */
export async function heldContainer(docker: Docker, labels: string[]): Promise<Docker.Container> {
  const filters = JSON.stringify({ label: labels, status: ['running'] });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [found] = await docker.listContainers({ filters });
    if (found !== undefined) {
      const container = docker.getContainer(found.Id);
      const { Processes } = await container.top();
      if (Processes.some((row: string[]) => row.join(' ').includes('sleep'))) return container;
    }
    await pause(100);
  }
  throw new Error(`no running container labelled ${labels.join(', ')}`);
}

export async function streamBytes(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

export async function execIn(container: Docker.Container, cmd: string[]): Promise<void> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  await streamBytes(await exec.start({}));
}

/** Lets the held step finish. */
export const release = (container: Docker.Container) => execIn(container, ['touch', RELEASE_FILE]);

/** The container's environment as a map (unmasked: read from the engine, not from the log). */
export async function environmentOf(container: Docker.Container): Promise<Map<string, string>> {
  const { Config } = await container.inspect();
  return new Map(
    (Config.Env ?? []).map((entry) => [
      entry.slice(0, entry.indexOf('=')),
      entry.slice(entry.indexOf('=') + 1),
    ]),
  );
}
