/**
 * The real Docker engine for runner tests: a client, a unique instance id per test file (so files running in
 * parallel never see each other's resources), and what is left behind under that id.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';

export const LABEL_INSTANCE = 'io.drone-gogs.instance';

export function createTestDocker(): Docker {
  return new Docker();
}

export function testInstanceId(name: string): string {
  return `test-${name}-${randomBytes(4).toString('hex')}`;
}

export interface Leftovers {
  containers: string[];
  networks: string[];
  volumes: string[];
}

/** Containers, networks and volumes carrying every given label (`key=value`). */
async function labelled(docker: Docker, label: string[]): Promise<Leftovers> {
  const filters = JSON.stringify({ label });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return {
    containers: containers.map((container) => container.Id),
    networks: networks.map((network) => network.Name),
    volumes: (volumes.Volumes ?? []).map((volume) => volume.Name),
  };
}

/** What is labelled with the instance id (optionally narrowed to one build). */
export function leftovers(docker: Docker, instance: string, build?: string): Promise<Leftovers> {
  const label = [`${LABEL_INSTANCE}=${instance}`];
  if (build !== undefined) label.push(`io.drone-gogs.build=${build}`);
  return labelled(docker, label);
}

/** Removes everything carrying the label; for afterAll, so that a failing test leaks nothing. */
export async function removeLabelled(docker: Docker, label: string): Promise<void> {
  const found = await labelled(docker, [label]);
  await Promise.all(
    found.containers.map((id) =>
      docker
        .getContainer(id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  for (const name of found.networks)
    await docker
      .getNetwork(name)
      .remove()
      .catch(() => undefined);
  for (const name of found.volumes)
    await docker
      .getVolume(name)
      .remove({ force: true })
      .catch(() => undefined);
}

export function removeInstanceResources(docker: Docker, instance: string): Promise<void> {
  return removeLabelled(docker, `${LABEL_INSTANCE}=${instance}`);
}
