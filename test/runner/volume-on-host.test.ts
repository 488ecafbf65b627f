/**
 * Whether the checkout may go straight into the workspace volume: only when what this process writes into the
 * volume's directory is what the engine reads from the volume. Checked against the real engine; the other case
 * is an engine that reports a directory this process can write but the engine does not read (a sidecar in a
 * container of its own sees its own /var/lib/docker, not the engine's).
 */
import { readdir } from 'node:fs/promises';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import type { StageRunIds } from '../../sidecar/core/index.ts';
import { createStageVolumes } from '../../sidecar/runner/stage-resources.ts';
import { volumeDirectoryOnHost } from '../../sidecar/runner/volume-on-host.ts';
import { createTestDocker, leftovers } from '../support/docker.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { dockerTestFile, stageFrom } from './stage-harness.ts';

const { instance } = dockerTestFile('volume-on-host');
const stage = stageFrom(`
kind: pipeline
name: default
steps:
  - name: one
    image: busybox
    commands: [true]
`);

/** The real engine, except that every volume is said to live in `where.directory`. */
function engineReporting(where: { directory: string }): Docker {
  const docker = createTestDocker();
  const getVolume = docker.getVolume.bind(docker);
  docker.getVolume = (name: string) => {
    const volume = getVolume(name);
    const inspect = volume.inspect.bind(volume);
    volume.inspect = (async () => ({
      ...(await inspect()),
      Mountpoint: where.directory,
    })) as typeof volume.inspect;
    return volume;
  };
  return docker;
}

describe('the workspace volume on this host', () => {
  it('is written straight into when the engine reads what was written there, and copied into when not', async () => {
    const ids: StageRunIds = { instance, repo: 'octo/hello', build: '1', stage: '1' };
    const docker = createTestDocker();
    const { workspaceVolume } = await createStageVolumes(docker, ids, stage);
    const { Mountpoint } = await docker.getVolume(workspaceVolume).inspect();
    expect(await volumeDirectoryOnHost(docker, ids, stage, workspaceVolume)).toBe(Mountpoint);
    // The probe's marker is gone again; the volume is as empty as it was made.
    expect(await readdir(Mountpoint)).toEqual([]);

    const elsewhere = await makeTempDir('drone-gogs-not-the-engines-');
    try {
      const where = { directory: elsewhere.path };
      const other = engineReporting(where);
      expect(await volumeDirectoryOnHost(other, ids, stage, workspaceVolume)).toBeNull();
      expect(await readdir(elsewhere.path)).toEqual([]);
      // The verdict holds for the engine: the next stage does not probe again, even where it would now pass.
      where.directory = Mountpoint;
      expect(await volumeDirectoryOnHost(other, ids, stage, workspaceVolume)).toBeNull();
      expect(await volumeDirectoryOnHost(engineReporting(where), ids, stage, workspaceVolume)).toBe(
        Mountpoint,
      );
    } finally {
      await elsewhere.remove();
    }
    await docker.getVolume(workspaceVolume).remove();
    expect(await leftovers(docker, instance)).toEqual({ containers: [], networks: [], volumes: [] });
  });
});
