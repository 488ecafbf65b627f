import { describe, expect, it } from 'vitest';
import { isAppError } from '../../sidecar/core/index.ts';
import { connectDocker } from '../../sidecar/runner/index.ts';

describe('connectDocker', () => {
  it('reaches the local engine by default and through a unix:// address', async () => {
    expect(await connectDocker().ping()).toBeTruthy();
    expect(await connectDocker('unix:///var/run/docker.sock').ping()).toBeTruthy();
  });

  it('refuses addresses it cannot use, with a configuration error', () => {
    for (const address of ['ssh://user@host', 'not a url']) {
      let thrown: unknown;
      try {
        connectDocker(address);
      } catch (error) {
        thrown = error;
      }
      expect(isAppError(thrown, 'CONFIG_INVALID')).toBe(true);
    }
  });
});
