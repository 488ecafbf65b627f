import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../sidecar/cli.ts';
import { hookSecretPlace, previousHookSecretPlace } from '../../sidecar/core/index.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
import { runCommand } from '../support/run-command.ts';
import { type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';

describe('rotating a hook secret', () => {
  let t: SidecarBesideGogs;
  afterEach(() => t.dispose());

  const storedRepo = async () => (await t.sidecar.services.stores.repos.findByFullName('alice/app'))!;

  it('re-encrypts the replaced secret for the previous-secret column; one that does not decrypt gets no grace', async () => {
    t = await startSidecarBesideGogs();
    expect((await t.cli('repo', 'enable', 'alice/app')).code).toBe(0);
    const enabled = await storedRepo();
    const [first] = t.gogs.hooks('alice', 'app');
    expect((await t.cli('hooks', 'rotate', 'alice/app')).code).toBe(0);

    const rotated = await storedRepo();
    const { cipher } = t.sidecar.services;
    expect(rotated.previousHookSecret).not.toBe(enabled.hookSecret);
    expect(cipher.decrypt(rotated.previousHookSecret!, previousHookSecretPlace(t.gogsRepoId))).toBe(
      first!.secret,
    );
    expect(() => cipher.decrypt(rotated.previousHookSecret!, hookSecretPlace(t.gogsRepoId))).toThrow(
      /copied from another place/,
    );

    // With a key that cannot read the current secret (a lost key file), rotating still gives a working
    // secret, and the unreadable one no grace period.
    const otherKey = randomBytes(32);
    const withOtherKey = await runCommand(runCli, ['hooks', 'rotate', 'alice/app'], {
      cwd: t.env.DRONE_GOGS_DATA_DIR!,
      env: { ...t.env, DRONE_GOGS_SECRET_KEY: otherKey.toString('hex') },
    });
    expect(withOtherKey.code).toBe(0);
    expect(withOtherKey.stderr).toContain('hooks: the replaced secret does not decrypt; no grace period');
    const recovered = await storedRepo();
    expect(recovered).toMatchObject({ previousHookSecret: null, previousHookSecretUntil: null });
    const [third] = t.gogs.hooks('alice', 'app');
    expect(createSecretCipher(otherKey).decrypt(recovered.hookSecret!, hookSecretPlace(t.gogsRepoId))).toBe(
      third!.secret,
    );
  });
});
