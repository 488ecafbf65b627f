/** Copying a host directory into the workspace volume keeps links as they are. */
import { link, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.ts';
import { dockerTestFile, IMAGE, outcomes, stageFrom } from './stage-harness.ts';

const { harness } = dockerTestFile('workspace-copy');

describe('docker runner: workspace copy', () => {
  it('keeps symlink targets as they point and hard links as links, under any workspace path', async () => {
    const dir = await makeTempDir();
    try {
      await writeFile(join(dir.path, 'target.txt'), 'the target\n');
      await mkdir(join(dir.path, 'sub'));
      await symlink('./target.txt', join(dir.path, 'link'));
      await symlink('../target.txt', join(dir.path, 'sub', 'up'));
      await link(join(dir.path, 'target.txt'), join(dir.path, 'hard'));
      // Characters that mean something in tar's --transform replacement.
      const stage = stageFrom(`
kind: pipeline
name: default
workspace:
  path: a&b,c
steps:
  - name: look
    image: ${IMAGE}
    commands:
      - pwd
      - readlink link
      - readlink sub/up
      - cat link sub/up hard
      - stat -c '%h %F' hard
`);
      const { result, logs } = await harness.run(stage, { workspace: { kind: 'directory', path: dir.path } });
      expect(logs.text('look').split('\n')).toEqual([
        '+ pwd',
        '/drone/src/a&b,c',
        '+ readlink link',
        './target.txt',
        '+ readlink sub/up',
        '../target.txt',
        '+ cat link sub/up hard',
        'the target',
        'the target',
        'the target',
        "+ stat -c '%h %F' hard",
        '2 regular file',
      ]);
      expect(outcomes(result)).toEqual({ clone: 'success', look: 'success' });
    } finally {
      await dir.remove();
    }
  });
});
