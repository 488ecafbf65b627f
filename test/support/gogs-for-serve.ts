/**
 * What tests of real `drone-gogs serve` processes share: the Gogs test double with a user `alice` who owns
 * `alice/app`, a data directory, and the environment every process of the test gets.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from '../../sidecar/cli.ts';
import { startGogsDouble } from './gogs-double/index.ts';
import { runCommand } from './run-command.ts';
import { makeTempDir } from './temp-dir.ts';

export async function startGogsForServe() {
  const dir = await makeTempDir('drone-gogs-serve-');
  const gogs = await startGogsDouble();
  const alice = gogs.addUser({ username: 'alice', password: 'alice-password' });
  await gogs.createRepo({ owner: 'alice', name: 'app', files: { 'README.md': 'app\n' } });
  const env = {
    DRONE_GOGS_DATA_DIR: join(dir.path, 'data'),
    DRONE_GOGS_GOGS_URL: gogs.url,
    DRONE_GOGS_GOGS_TOKEN: alice.token,
    DRONE_GOGS_RECONCILE_INTERVAL_SECONDS: '0',
  };
  return {
    dir,
    gogs,
    env,
    /** The database file every process of the test shares. */
    databaseUrl: pathToFileURL(join(dir.path, 'data', 'drone-gogs.db')).href,
    /** `drone-gogs repo enable alice/app`, with Gogs delivering to `hookUrl`. */
    enable: (hookUrl: string) =>
      runCommand(runCli, ['repo', 'enable', 'alice/app'], {
        cwd: dir.path,
        env: { ...env, DRONE_GOGS_HOOK_URL: hookUrl },
      }),
    /** A commit pushed to alice/app's master, announced by the double as Gogs would. */
    push: (files: Record<string, string>, message: string) =>
      gogs.pushCommit({ owner: 'alice', name: 'app', branch: 'master', files, message }),
    async dispose() {
      await gogs.close();
      await dir.remove();
    },
  };
}

export type GogsForServe = Awaited<ReturnType<typeof startGogsForServe>>;
