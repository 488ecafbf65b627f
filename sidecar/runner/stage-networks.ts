/**
 * Where a stage's network comes from. Making a bridge network is the slowest part of preparing a stage (100-200
 * ms here, against a few ms for a volume), so a serving sidecar keeps one spare network per engine, made when a
 * stage ends, and the next stage takes it.
 *
 * A spare is made before its stage is known, so it carries only its instance's label (and empty stage ids, which
 * reaping a dead instance matches): the stage's step containers name it in their NETWORK_LABEL, which is how
 * removing a stage's resources, here or by recovery in another process, finds it. Removing a network still in
 * use is refused by Docker, so a spare taken by a stage that recovery follows outlives any reaping of its
 * instance until that stage ends.
 */
import type Docker from 'dockerode';
import type { Logger, StageRunIds } from '../core/index.ts';
import { ignoringMissing, isNotFound } from './docker-errors.ts';
import { spareNetworkLabels } from './labels.ts';
import { createStageNetwork, resourceName, type StageNetwork } from './stage-resources.ts';

export interface StageNetworks {
  /** A network for the stage: a spare made for its instance when one is ready, else one made now. */
  take(ids: StageRunIds): Promise<StageNetwork>;
  /**
   * After the stage's resources are removed: removes its network too when it was a spare (idempotent), and
   * makes the next spare.
   */
  release(ids: StageRunIds): Promise<void>;
  /** Removes the spare nobody took. */
  close(): Promise<void>;
}

/** Every stage makes its own network, labelled with its ids (for `exec`, and with spares turned off). */
export function freshStageNetworks(docker: Docker): StageNetworks {
  return {
    take: (ids) => createStageNetwork(docker, ids),
    release: async () => {},
    close: async () => {},
  };
}

function stageKey(ids: StageRunIds): string {
  return JSON.stringify([ids.instance, ids.repo, ids.build, ids.stage]);
}

/** One spare network per engine, for the instance of the last stage that took one. */
export function spareStageNetworks(docker: Docker, logger: Logger): StageNetworks {
  let spare: { instance: string; network: Promise<StageNetwork | null> } | null = null;
  const lent = new Map<string, StageNetwork>();
  let closed = false;

  const makeSpare = (instance: string) => {
    const name = resourceName();
    const network = docker
      .createNetwork({
        Name: name,
        Driver: 'bridge',
        Labels: spareNetworkLabels(instance),
        CheckDuplicate: true,
      })
      .then(
        (made) => ({ networkId: made.id, networkName: name }),
        (error: unknown) => {
          logger.warn('runner: cannot make a spare network; the next stage makes its own', {
            error: String(error),
          });
          return null;
        },
      );
    spare = { instance, network };
  };

  /** The spare when it is ready and still there (an admin may have pruned it); null otherwise. */
  const takeSpare = async (instance: string): Promise<StageNetwork | null> => {
    const current = spare;
    if (current === null || current.instance !== instance) return null;
    spare = null;
    const network = await current.network;
    if (network === null) return null;
    try {
      await docker.getNetwork(network.networkId).inspect();
      return network;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  };

  /** One spare at a time, for the instance that last took one (a process runs under one instance id). */
  const replenish = (instance: string) => {
    if (closed) return;
    const current = spare;
    if (current !== null) {
      if (current.instance === instance) return;
      void current.network.then((network) => (network === null ? undefined : remove(network)));
    }
    makeSpare(instance);
  };

  const remove = (network: StageNetwork) =>
    ignoringMissing(() => docker.getNetwork(network.networkId).remove()).catch((error: unknown) => {
      logger.warn('runner: cannot remove a spare network', {
        network: network.networkName,
        error: String(error),
      });
    });

  return {
    async take(ids) {
      const taken = await takeSpare(ids.instance);
      if (taken === null) return createStageNetwork(docker, ids);
      lent.set(stageKey(ids), taken);
      return taken;
    },
    async release(ids) {
      const network = lent.get(stageKey(ids));
      lent.delete(stageKey(ids));
      if (network !== undefined) await remove(network);
      // Made now rather than when the spare is taken, where it would compete with the starting stage.
      replenish(ids.instance);
    },
    async close() {
      closed = true;
      const current = spare;
      spare = null;
      const network = current === null ? null : await current.network;
      if (network !== null) await remove(network);
    },
  };
}
