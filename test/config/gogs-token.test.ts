/** The Gogs token from the variable or the token file, and the provider that follows a replaced file. */
import { chmod, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createGogsTokenProvider,
  describeConfig,
  loadConfig,
  writeGogsTokenFile,
} from '../../sidecar/config/index.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { problemsOf } from './config-problems.ts';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);

describe('the Gogs token setting', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let dataDir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
    dataDir = join(dir.path, 'data');
    await writeGogsTokenFile(join(dataDir, 'gogs.token'), OLD);
  });
  afterEach(() => dir.remove());

  const gogsLine = (config: ReturnType<typeof loadConfig>) =>
    describeConfig(config).find((line) => line.startsWith('gogs:')) ?? '';

  it('reads <data dir>/gogs.token when DRONE_GOGS_GOGS_TOKEN is not set', () => {
    const config = loadConfig(
      { DRONE_GOGS_DATA_DIR: dataDir, DRONE_GOGS_GOGS_URL: 'https://git.example.com' },
      '/',
    );
    expect(config.gogs.token).toEqual({
      from: 'file',
      file: join(dataDir, 'gogs.token'),
      present: true,
      readableByOthers: false,
    });
    expect(createGogsTokenProvider(config.gogs.token, () => {})()).toBe(OLD);
    expect(gogsLine(config)).toContain(`token set from the file ${join(dataDir, 'gogs.token')}`);
    expect(gogsLine(config)).not.toContain(OLD);
  });

  it('takes DRONE_GOGS_GOGS_TOKEN_FILE relative to the working directory, and says when the file is missing', () => {
    const config = loadConfig(
      { DRONE_GOGS_GOGS_TOKEN_FILE: 'elsewhere/token', DRONE_GOGS_GOGS_URL: 'https://git.example.com' },
      dir.path,
    );
    expect(config.gogs.token).toMatchObject({
      from: 'file',
      file: join(dir.path, 'elsewhere/token'),
      present: false,
    });
    expect(createGogsTokenProvider(config.gogs.token, () => {})()).toBeUndefined();
    expect(gogsLine(config)).toContain('token not set (put it in');
  });

  it('lets the variable win over the file, and the config output says so', () => {
    const config = loadConfig(
      {
        DRONE_GOGS_DATA_DIR: dataDir,
        DRONE_GOGS_GOGS_URL: 'https://git.example.com',
        DRONE_GOGS_GOGS_TOKEN: NEW,
      },
      '/',
    );
    expect(config.gogs.token).toMatchObject({ from: 'environment', fileIgnored: true });
    expect(createGogsTokenProvider(config.gogs.token, () => {})()).toBe(NEW);
    expect(gogsLine(config)).toContain(
      `token set from DRONE_GOGS_GOGS_TOKEN, which wins: the token file ${join(dataDir, 'gogs.token')} is ignored while it is set`,
    );
    expect(gogsLine(config)).not.toContain(NEW);
  });

  it('refuses a token file that is not one token, without showing what it holds', async () => {
    await writeFile(join(dataDir, 'gogs.token'), 'hunter2 hunter3\n');
    const problems = problemsOf({ DRONE_GOGS_DATA_DIR: dataDir });
    expect(problems).toEqual([
      expect.stringMatching(/^DRONE_GOGS_GOGS_TOKEN_FILE: the token file .* is not usable/),
    ]);
    expect(problems.join('\n')).not.toContain('hunter');
  });

  it('says when the token file is readable by other users', async () => {
    await chmod(join(dataDir, 'gogs.token'), 0o644);
    const config = loadConfig(
      { DRONE_GOGS_DATA_DIR: dataDir, DRONE_GOGS_GOGS_URL: 'https://git.example.com' },
      '/',
    );
    expect(gogsLine(config)).toContain('readable by other users: chmod 600 it');
  });
});

describe('the Gogs token provider', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let file: string;
  beforeEach(async () => {
    dir = await makeTempDir();
    file = join(dir.path, 'gogs.token');
    await writeGogsTokenFile(file, OLD);
  });
  afterEach(() => dir.remove());

  it('gives the replaced token from the next call', async () => {
    const token = createGogsTokenProvider(
      { from: 'file', file, present: true, readableByOthers: false },
      () => {},
    );
    expect(token()).toBe(OLD);
    await writeGogsTokenFile(file, NEW);
    expect(token()).toBe(NEW);
  });

  it('keeps the last good token when the file is gone or broken, and warns once without the token', async () => {
    const warnings: string[] = [];
    const token = createGogsTokenProvider(
      { from: 'file', file, present: true, readableByOthers: false },
      (line) => warnings.push(line),
    );
    expect(token()).toBe(OLD);
    await rm(file);
    expect([token(), token()]).toEqual([OLD, OLD]);
    await writeFile(file, 'two words\n');
    expect([token(), token()]).toEqual([OLD, OLD]);
    expect(warnings).toEqual([
      `config: cannot read the Gogs token file ${file} (ENOENT); still using the token read from it before`,
      `config: the Gogs token file ${file} is not usable (it holds spaces or line breaks: expected one Gogs access token); still using the token read from it before`,
    ]);
    expect(warnings.join('\n')).not.toContain(OLD);
  });

  it('writes the file with mode 0600 by renaming a temporary file, leaving nothing else behind', async () => {
    await chmod(file, 0o644);
    await writeGogsTokenFile(file, NEW);
    expect(await readFile(file, 'utf8')).toBe(`${NEW}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir.path)).toEqual(['gogs.token']);
  });
});
