import { type BuildWithStages, FINAL_STATUSES } from '../../sidecar/core/index.ts';
import type { SidecarBesideGogs } from './sidecar-beside-gogs.ts';

/**
 * The builds of alice/app as the sidecar beside the Gogs test double stored them, read and waited for by their
 * stored state (polled, no deadlines of their own). `current` gives the set-up of the running test.
 */
export function storedBuilds(current: () => SidecarBesideGogs) {
  const stores = () => current().sidecar.services.stores;
  const repoId = async () => (await stores().repos.findByFullName('alice/app'))?.id ?? 0;
  const find = async (number: number): Promise<BuildWithStages> => {
    const found = await stores().builds.find(await repoId(), number);
    if (found === null) throw new Error(`no build #${number}`);
    return found;
  };
  const until = (number: number, done: (found: BuildWithStages) => boolean) =>
    poll(async () => {
      const found = await find(number);
      return done(found) ? found : undefined;
    });
  return {
    poll,
    repoId,
    find,
    until,
    /** Once the build's status is final. */
    finished: (number: number) => until(number, (found) => FINAL_STATUSES.has(found.build.status)),
    /** The id of the sidecar's instance, which labels what it makes on the engine. */
    instance: async () =>
      (await stores().instances.list()).find((each) => each.id.startsWith('serve-'))?.id ?? '',
  };
}

/** The first value `read` gives that is not undefined, read again every 50 ms. */
export async function poll<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
