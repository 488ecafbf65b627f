/**
 * Fills the workspace volume from a host directory: the directory is packed with the host's GNU tar and
 * extracted by the engine into a never-started helper container that mounts the volume. The helper's image is an
 * empty one imported on first use, so no step image and no registry is needed for this.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type Docker from 'dockerode';
import type { PlanStage, StageRunIds } from '../core/index.ts';
import { isNotFound } from './docker-errors.ts';
import { stepLabels } from './labels.ts';

const HELPER_IMAGE = 'drone-gogs/workspace-helper:1';

function tarStream(
  directory: string,
  prefix: string,
): { stream: NodeJS.ReadableStream; done: Promise<void> } {
  const args = ['-C', directory, '-cf', '-'];
  // Member names and hard link targets move under the prefix; symlink targets (flag S) stay as they point.
  if (prefix !== '') args.push(`--transform=s,^\\.,${prefix.replace(/[\\,&]/g, '\\$&')},S`);
  args.push('.');
  const tar = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const done = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`tar exited with ${code}: ${stderr.trim().slice(0, 500)}`)),
    );
  });
  return { stream: tar.stdout, done };
}

async function ensureHelperImage(docker: Docker): Promise<void> {
  try {
    await docker.getImage(HELPER_IMAGE).inspect();
    return;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const empty = await mkdtemp(join(tmpdir(), 'drone-gogs-empty-'));
  try {
    const { stream, done } = tarStream(empty, '');
    const [repo, tag] = HELPER_IMAGE.split(':');
    const progress = await docker.importImage(stream, { repo, tag });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(progress, (error) => (error ? reject(error) : resolve())),
    );
    await done;
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
}

/** Imported once per engine and process; a failed or vanished import is tried again on the next copy. */
const helperImages = new WeakMap<Docker, Promise<void>>();

function helperImageOn(docker: Docker): Promise<void> {
  let ensured = helperImages.get(docker);
  if (ensured === undefined) {
    ensured = ensureHelperImage(docker);
    helperImages.set(docker, ensured);
    ensured.catch(() => helperImages.delete(docker));
  }
  return ensured;
}

/**
 * A never-started container that mounts the workspace volume at the workspace base, for the archive API; its step
 * label says what it is for (`workspace`: the copy).
 */
export async function createWorkspaceHelper(
  docker: Docker,
  ids: StageRunIds,
  stage: PlanStage,
  workspaceVolume: string,
  purpose = 'workspace',
): Promise<Docker.Container> {
  const spec: Docker.ContainerCreateOptions = {
    Image: HELPER_IMAGE,
    Cmd: ['/nothing-runs-here'],
    Labels: stepLabels(ids, purpose),
    NetworkDisabled: true,
    HostConfig: { Mounts: [{ Type: 'volume', Source: workspaceVolume, Target: stage.workspace.base }] },
  };
  await helperImageOn(docker);
  return docker.createContainer(spec).catch(async (error: unknown): Promise<Docker.Container> => {
    // Removed behind this process's back since it was imported: import it again, once.
    if (!isNotFound(error)) throw error;
    helperImages.delete(docker);
    await helperImageOn(docker);
    return docker.createContainer(spec);
  });
}

/** Copies `directory` into the workspace so that it appears at the stage's working directory. */
export async function copyIntoWorkspace(
  docker: Docker,
  ids: StageRunIds,
  stage: PlanStage,
  workspaceVolume: string,
  directory: string,
): Promise<void> {
  const { base, full } = stage.workspace;
  const helper = await createWorkspaceHelper(docker, ids, stage, workspaceVolume);
  try {
    const { stream, done } = tarStream(directory, posix.relative(base, full));
    await Promise.all([helper.putArchive(stream, { path: base }), done]);
  } finally {
    await helper.remove({ force: true });
  }
}
