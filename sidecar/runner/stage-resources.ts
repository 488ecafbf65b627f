/**
 * The per-stage network and volumes, and the removal of everything a stage (or a whole instance) left behind,
 * found by label rather than by remembered ids so that a crash or a lost reply cannot leak anything.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { PlanStage, ResourceSelector, StageRunIds } from '../core/index.ts';
import { ignoringMissing, isNotFound } from './docker-errors.ts';
import { INSTANCE_LABEL, labelFilter, NETWORK_LABEL, stageIdsOf, stageLabels } from './labels.ts';

export interface StageResources {
  networkId: string;
  networkName: string;
  workspaceVolume: string;
  /** Docker volume names of the stage's `temp` (on-disk) volumes, by plan volume name. */
  tempVolumes: Map<string, string>;
}

export function resourceName(): string {
  return `drone-gogs-${randomBytes(6).toString('hex')}`;
}

export type StageVolumes = Pick<StageResources, 'workspaceVolume' | 'tempVolumes'>;
export type StageNetwork = Pick<StageResources, 'networkId' | 'networkName'>;

export async function createStageNetwork(docker: Docker, ids: StageRunIds): Promise<StageNetwork> {
  const networkName = resourceName();
  const network = await docker.createNetwork({
    Name: networkName,
    Driver: 'bridge',
    Labels: stageLabels(ids),
    CheckDuplicate: true,
  });
  return { networkId: network.id, networkName };
}

export async function createStageVolumes(
  docker: Docker,
  ids: StageRunIds,
  stage: PlanStage,
): Promise<StageVolumes> {
  const workspaceVolume = resourceName();
  const tempVolumes = new Map<string, string>();
  for (const volume of stage.volumes) {
    if (volume.kind !== 'temp' || volume.medium === 'memory') continue;
    tempVolumes.set(volume.name, resourceName());
  }
  const labels = stageLabels(ids);
  await Promise.all(
    [workspaceVolume, ...tempVolumes.values()].map((name) =>
      docker.createVolume({ Name: name, Labels: labels }),
    ),
  );
  return { workspaceVolume, tempVolumes };
}

/**
 * The network and volumes, made side by side, as one. Both are waited for even when one fails, so that whatever
 * was made exists before the caller removes what the stage's labels find.
 */
export async function combineStageResources(
  network: Promise<StageNetwork>,
  volumes: Promise<StageVolumes>,
): Promise<StageResources> {
  const [made, kept] = await Promise.allSettled([network, volumes]);
  if (made.status === 'rejected') throw made.reason;
  if (kept.status === 'rejected') throw kept.reason;
  return { ...made.value, ...kept.value };
}

/**
 * Kills and removes matching containers, then networks (those labelled, and the spares the containers name),
 * then volumes. Idempotent; returns how many it removed.
 */
export async function removeLabelled(docker: Docker, selector: ResourceSelector): Promise<number> {
  const filters = JSON.stringify(labelFilter(selector));
  let removed = 0;
  const containers = await docker.listContainers({ all: true, filters });
  const containerResults = await Promise.all(
    containers.map((info) =>
      ignoringMissing(() => docker.getContainer(info.Id).remove({ force: true, v: true })),
    ),
  );
  removed += containerResults.filter(Boolean).length;
  const networks = new Set((await docker.listNetworks({ filters })).map((info) => info.Name));
  for (const info of containers) {
    const named = info.Labels?.[NETWORK_LABEL];
    if (named !== undefined && !networks.has(named) && (await isOurs(docker, named))) networks.add(named);
  }
  for (const name of networks) {
    if (await ignoringMissing(() => docker.getNetwork(name).remove())) removed++;
  }
  const { Volumes } = await docker.listVolumes({ filters });
  for (const info of Volumes ?? []) {
    if (await ignoringMissing(() => docker.getVolume(info.Name).remove({ force: true }))) removed++;
  }
  return removed;
}

/** Whether a network a container names was made by this runner (never one a step's `network_mode` picked). */
async function isOurs(docker: Docker, network: string): Promise<boolean> {
  try {
    const info = (await docker.getNetwork(network).inspect()) as { Labels?: Record<string, string> | null };
    return info.Labels?.[INSTANCE_LABEL] !== undefined;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** The labels of every labelled container, network and volume. */
async function labelledSets(docker: Docker): Promise<(Record<string, string> | undefined)[]> {
  const filters = JSON.stringify(labelFilter({}));
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return [
    ...containers.map((container) => container.Labels),
    ...networks.map((network) => network.Labels),
    ...(volumes.Volumes ?? []).map((volume) => volume.Labels),
  ];
}

/** Instance ids found on labelled containers, networks and volumes. */
export async function resourceOwners(docker: Docker): Promise<string[]> {
  const owners = new Set<string>();
  for (const labels of await labelledSets(docker)) {
    const owner = labels?.[INSTANCE_LABEL];
    if (owner !== undefined) owners.add(owner);
  }
  return [...owners].sort();
}

/** The stage ids found on labelled containers, networks and volumes, each once. */
export async function resourceStages(docker: Docker): Promise<StageRunIds[]> {
  const found = new Map<string, StageRunIds>();
  for (const labels of await labelledSets(docker)) {
    const ids = stageIdsOf(labels);
    if (ids !== null) found.set(JSON.stringify(ids), ids);
  }
  return [...found.values()];
}

/** Whether any container, network or volume matches the selector. */
export async function hasLabelled(docker: Docker, selector: ResourceSelector): Promise<boolean> {
  const filters = JSON.stringify(labelFilter(selector));
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters, limit: 1 }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return containers.length + networks.length + (volumes.Volumes ?? []).length > 0;
}
