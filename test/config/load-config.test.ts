import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeConfig, ensureSecretKey, loadConfig } from '../../sidecar/config/index.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { problemsOf } from './config-problems.ts';

describe('loadConfig', () => {
  it('works with no configuration at all, on embedded defaults', () => {
    const config = loadConfig({}, '/srv/drone-gogs');
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.dataDir).toBe('/srv/drone-gogs/data');
    expect(config.database).toMatchObject({
      url: 'file:///srv/drone-gogs/data/drone-gogs.db',
      isLocalFile: true,
      sync: 'normal',
    });
    expect(config.publicUrl).toBe('http://127.0.0.1:8080');
    expect(config.hookUrl).toBe('http://127.0.0.1:8080/hook');
    expect(config.secretKey).toBeNull();
    expect(config.gogs.url).toBeUndefined();
  });

  it('reads every documented variable', () => {
    const config = loadConfig(
      {
        DRONE_GOGS_LISTEN: '0.0.0.0:9000',
        DRONE_GOGS_DATA_DIR: '/var/lib/drone-gogs',
        DRONE_GOGS_DATABASE_URL: 'libsql://db.example.com',
        DRONE_GOGS_DATABASE_AUTH_TOKEN: 'tok',
        DRONE_GOGS_GOGS_URL: 'https://git.example.com',
        DRONE_GOGS_GOGS_TOKEN: 'abc123',
        DRONE_GOGS_PUBLIC_URL: 'https://ci.example.com/',
        DRONE_GOGS_SECRET_KEY: 'ab'.repeat(32),
      },
      '/srv',
    );
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(config.database).toMatchObject({
      url: 'libsql://db.example.com',
      authToken: 'tok',
      isLocalFile: false,
    });
    expect(config.gogs).toMatchObject({
      url: 'https://git.example.com/',
      token: { from: 'environment', value: 'abc123', file: '/var/lib/drone-gogs/gogs.token' },
    });
    expect(config.publicUrl).toBe('https://ci.example.com');
    expect(config.hookUrl).toBe('https://ci.example.com/hook');
    expect(config.secretKey?.length).toBe(32);
  });

  it('takes an explicit hook URL over the public URL', () => {
    const config = loadConfig({ DRONE_GOGS_HOOK_URL: 'http://10.0.0.5:8080/hook' }, '/srv');
    expect(config.hookUrl).toBe('http://10.0.0.5:8080/hook');
  });

  it('reports every bad field at once, by name, with what is expected', () => {
    const problems = problemsOf({
      DRONE_GOGS_LISTEN: 'localhost',
      DRONE_GOGS_DATABASE_URL: 'postgres://x',
      DRONE_GOGS_GOGS_URL: 'git.example.com',
      DRONE_GOGS_SECRET_KEY: 'too-short',
      DRONE_GOGS_HOOK_MAX_BYTES: 'lots',
      DRONE_GOGS_LOG_FORMAT: 'xml',
      DRONE_GOGS_TYPO: '1',
    });
    expect(problems).toHaveLength(7);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DRONE_GOGS_LISTEN: expected host:port/),
        expect.stringMatching(/^DRONE_GOGS_DATABASE_URL: expected file:PATH, libsql:\/\/HOST/),
        expect.stringMatching(/^DRONE_GOGS_GOGS_URL: expected an absolute URL/),
        expect.stringMatching(/^DRONE_GOGS_SECRET_KEY: expected 32 bytes/),
        expect.stringMatching(/^DRONE_GOGS_HOOK_MAX_BYTES: /),
        expect.stringMatching(/^DRONE_GOGS_LOG_FORMAT: /),
        expect.stringMatching(/^DRONE_GOGS_TYPO: unknown setting/),
      ]),
    );
  });

  it('never prints a secret value, even a malformed one', () => {
    const problems = problemsOf({
      DRONE_GOGS_SECRET_KEY: 'hunter2-not-a-key',
      DRONE_GOGS_GOGS_TOKEN: 'has space hunter3',
    });
    expect(problems.join('\n')).not.toMatch(/hunter/);
    const described = describeConfig(
      loadConfig(
        {
          DRONE_GOGS_GOGS_URL: 'https://git.example.com',
          DRONE_GOGS_GOGS_TOKEN: 'sekrit-token',
          DRONE_GOGS_DATABASE_URL: 'https://db.example.com?authToken=sekrit-db',
          DRONE_GOGS_DATABASE_AUTH_TOKEN: 'sekrit-auth',
          DRONE_GOGS_SECRET_KEY: 'cd'.repeat(32),
        },
        '/srv',
      ),
    ).join('\n');
    expect(described).not.toMatch(/sekrit|cdcdcd/);
    expect(described).toContain('token set');
  });
});

describe('ensureSecretKey', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  afterEach(() => dir.remove());

  it('generates a key into the data dir with mode 0600, then reuses it', async () => {
    dir = await makeTempDir();
    const dataDir = join(dir.path, 'data');
    const first = await ensureSecretKey(null, dataDir);
    expect(first.source).toBe('generated');
    expect((await stat(first.path!)).mode & 0o777).toBe(0o600);
    const second = await ensureSecretKey(null, dataDir);
    expect(second.source).toBe('file');
    expect(second.key.equals(first.key)).toBe(true);
  });

  it('prefers the configured key and refuses a damaged key file', async () => {
    dir = await makeTempDir();
    const configured = Buffer.alloc(32, 7);
    expect((await ensureSecretKey(configured, dir.path)).source).toBe('environment');
    await writeFile(join(dir.path, 'secret.key'), 'garbage\n');
    await expect(ensureSecretKey(null, dir.path)).rejects.toMatchObject({ code: 'SECRET_KEY_INVALID' });
  });
});
