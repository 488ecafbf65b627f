import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../sidecar/core/index.ts';
import { connectDocker } from '../../sidecar/runner/index.ts';
import { startTestEngine, type TestEngine } from '../support/docker-engine.ts';

function configError(connect: () => unknown): boolean {
  try {
    connect();
  } catch (error) {
    return isAppError(error, 'CONFIG_INVALID');
  }
  return false;
}

describe('connectDocker', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await startTestEngine({ tls: true });
  }, 120_000);
  afterAll(async () => {
    await engine?.dispose();
  }, 60_000);

  it('reaches the local engine by default and through a unix:// address', async () => {
    expect(await connectDocker().ping()).toBeTruthy();
    expect(await connectDocker('unix:///var/run/docker.sock').ping()).toBeTruthy();
  });

  it('reaches an engine over tcp with TLS, verifying it against the CA and showing the client certificate', async () => {
    const tls = engine.tls;
    if (tls === null) throw new Error('the test engine has no TLS address');
    const docker = connectDocker(tls.address, { tls });
    expect((await docker.version()).Os).toBe('linux');
    // Without TLS the engine refuses plain HTTP; with a CA that did not sign it the client refuses the engine.
    await expect(connectDocker(tls.address).ping()).rejects.toThrow();
    await expect(connectDocker(tls.address, { tls: { ...tls, ca: tls.cert } }).ping()).rejects.toThrow();
  });

  it('speaks ssh to ssh:// addresses given an identity or agent', () => {
    const docker = connectDocker('ssh://builder@build-1.example:2222', { sshAgentSocket: '/run/agent.sock' });
    expect(docker.modem).toMatchObject({
      protocol: 'ssh',
      host: 'build-1.example',
      port: 2222,
      username: 'builder',
    });
  });

  it('refuses addresses it cannot use and unreadable files, with a configuration error', () => {
    for (const address of ['ssh://user@host', 'ftp://host', 'not a url']) {
      expect(configError(() => connectDocker(address))).toBe(true);
    }
    const missing = { ca: '/nonexistent/ca.pem', cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' };
    expect(configError(() => connectDocker('tcp://127.0.0.1:2376', { tls: missing }))).toBe(true);
  });
});
