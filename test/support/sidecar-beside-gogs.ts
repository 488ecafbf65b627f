import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../sidecar/cli.ts';
import { loadConfig } from '../../sidecar/config/index.ts';
import type { Clock, Delivery } from '../../sidecar/core/index.ts';
import { startSidecar } from '../../sidecar/main.ts';
import { createLogger } from '../../sidecar/telemetry/index.ts';
import { type GogsDouble, type GogsDoubleOptions, startGogsDouble } from './gogs-double/index.ts';
import { runCommand } from './run-command.ts';
import { makeTempDir } from './temp-dir.ts';

/** The environment of a sidecar no Docker engine answers: its builds' stages stay as the trigger created them. */
export const NO_ENGINE = { DRONE_GOGS_DOCKER_HOST: 'unix:///run/drone-gogs-tests-no-engine.sock' };

/**
 * The set-up an admin has: the Gogs test double with a user `alice` who owns `alice/app`, and the sidecar
 * serving on loopback beside it. `cli(...)` runs `drone-gogs` commands with the same environment, in process.
 */
export async function startSidecarBesideGogs(
  options: {
    gogs?: GogsDoubleOptions;
    env?: Record<string, string>;
    tokenOf?: 'alice' | 'bob';
    /** Where the sidecar's Gogs token is: DRONE_GOGS_GOGS_TOKEN (default), or `<data dir>/gogs.token` alone. */
    tokenIn?: 'environment' | 'file';
    /** The sidecar's clock (the commands run by `cli` keep the system's). */
    clock?: Clock;
  } = {},
) {
  const dir = await makeTempDir('drone-gogs-beside-');
  const gogs: GogsDouble = await startGogsDouble(options.gogs);
  const alice = gogs.addUser({ username: 'alice', password: 'alice-password' });
  const bob = gogs.addUser({ username: 'bob', password: 'bob-password' });
  const repo = await gogs.createRepo({ owner: 'alice', name: 'app', files: { 'README.md': 'app\n' } });
  gogs.addCollaborator({ owner: 'alice', name: 'app', username: 'bob', level: 'write' });

  const token = options.tokenOf === 'bob' ? bob.token : alice.token;
  const dataDir = join(dir.path, 'data');
  if (options.tokenIn === 'file') {
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'gogs.token'), `${token}\n`, { mode: 0o600 });
  }
  const baseEnv: Record<string, string> = {
    DRONE_GOGS_DATA_DIR: dataDir,
    DRONE_GOGS_GOGS_URL: gogs.url,
    ...(options.tokenIn === 'file' ? {} : { DRONE_GOGS_GOGS_TOKEN: token }),
    DRONE_GOGS_LISTEN: '127.0.0.1:0',
    DRONE_GOGS_RECONCILE_INTERVAL_SECONDS: '0',
    ...options.env,
  };
  const logLines: string[] = [];
  const sidecar = await startSidecar(
    loadConfig(baseEnv, dir.path),
    createLogger({ format: 'text', level: 'debug', write: (line) => logLines.push(line) }),
    options.clock,
  );
  const env: Record<string, string> = { DRONE_GOGS_HOOK_URL: `${sidecar.url}/hook`, ...baseEnv };

  return {
    gogs,
    sidecar,
    gogsRepoId: repo.id,
    env,
    logLines,
    /** A commit pushed to alice/app, announced by the double as Gogs would. */
    push: (branch: string, files: Record<string, string>, message: string) =>
      gogs.pushCommit({ owner: 'alice', name: 'app', branch, files, message }),
    cli: (...args: string[]) => runCommand(runCli, args, { cwd: dir.path, env }),
    /** Waits until the trigger settled the delivery (done, ignored or failed), then returns it. */
    async settled(deliveryId: string): Promise<Delivery> {
      for (;;) {
        const delivery = await sidecar.services.stores.deliveries.findByDeliveryId(deliveryId);
        if (delivery !== null && delivery.status !== 'pending' && delivery.status !== 'processing')
          return delivery;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async dispose() {
      await sidecar.stop();
      await gogs.close();
      await dir.remove();
    },
  };
}

export type SidecarBesideGogs = Awaited<ReturnType<typeof startSidecarBesideGogs>>;
