/**
 * Where this process can write a stage's workspace volume itself: the local driver's directory, when the engine
 * runs on this host, sees the same filesystem and lets this process write there (root, no user namespace
 * remapping). The clone then checks out straight into the volume and nothing is copied. Found once per engine by
 * a probe: a marker written through the directory must be what the engine reads from the volume. A remote engine,
 * a sidecar in a container of its own, rootless Docker or a sidecar that is not root fall back to the copy.
 */
import { randomBytes } from 'node:crypto';
import { access, constants, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type Docker from 'dockerode';
import type { PlanStage, StageRunIds } from '../core/index.ts';
import { isNotFound } from './docker-errors.ts';
import { createWorkspaceHelper } from './workspace-copy.ts';

/** An archive of the one small marker file; anything larger is not what was written. */
const MAX_PROBE_ARCHIVE_BYTES = 64 * 1024;

/** Per engine: whether the probe found its volumes writable from here. Unknown until a stage asks. */
const verdicts = new WeakMap<Docker, boolean>();

async function writable(directory: string): Promise<boolean> {
  return access(directory, constants.W_OK).then(
    () => true,
    () => false,
  );
}

async function archiveText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX_PROBE_ARCHIVE_BYTES) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('latin1');
}

/** Whether the engine reads from the volume what this process wrote into `directory`. */
async function engineSees(
  docker: Docker,
  ids: StageRunIds,
  stage: PlanStage,
  volume: string,
  directory: string,
): Promise<boolean> {
  const name = `.drone-gogs-probe-${randomBytes(8).toString('hex')}`;
  const token = randomBytes(32).toString('hex');
  await writeFile(join(directory, name), token, { flag: 'wx', mode: 0o600 });
  try {
    const helper = await createWorkspaceHelper(docker, ids, stage, volume, 'workspace-probe');
    try {
      const archive = await helper
        .getArchive({ path: posix.join(stage.workspace.base, name) })
        .catch((error: unknown) => {
          // The engine's volume does not hold the marker: its files are somewhere else.
          if (isNotFound(error)) return null;
          throw error;
        });
      return archive !== null && (await archiveText(archive)).includes(token);
    } finally {
      await helper.remove({ force: true });
    }
  } finally {
    await rm(join(directory, name), { force: true });
  }
}

/**
 * The host directory of the stage's (new, empty) workspace volume when this process may check out into it;
 * null when the checkout must be copied in. Throws only what the engine answers to the volume's inspection.
 */
export async function volumeDirectoryOnHost(
  docker: Docker,
  ids: StageRunIds,
  stage: PlanStage,
  volume: string,
): Promise<string | null> {
  const known = verdicts.get(docker);
  if (known === false) return null;
  const { Mountpoint } = (await docker.getVolume(volume).inspect()) as { Mountpoint?: unknown };
  if (typeof Mountpoint !== 'string' || !posix.isAbsolute(Mountpoint)) return null;
  if (!(await writable(Mountpoint))) {
    verdicts.set(docker, known ?? false);
    return null;
  }
  if (known === undefined) {
    // An engine that cannot answer now is asked again by the next stage.
    const sees = await engineSees(docker, ids, stage, volume, Mountpoint).catch(() => null);
    if (sees === null) return null;
    verdicts.set(docker, sees);
    if (!sees) return null;
  }
  return Mountpoint;
}
