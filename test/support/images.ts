/**
 * Test images built locally, since no image registry is reachable from the test machine. The busybox image is
 * a root file system holding Debian's static busybox with every applet linked into /bin, imported with
 * `docker import`. Idempotent and safe to call from several test files at once (the tag is re-pointed at an
 * identical image).
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir } from './temp-dir.ts';

const run = promisify(execFile);

export const BUSYBOX_IMAGE = 'drone-gogs-test/busybox:latest';

async function imageExists(name: string): Promise<boolean> {
  try {
    await run('docker', ['image', 'inspect', name]);
    return true;
  } catch {
    return false;
  }
}

/** Writes the busybox root file system into `root`, which must not exist yet. */
export async function busyboxRootfs(root: string): Promise<void> {
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'etc'));
  await mkdir(join(root, 'tmp'));
  await mkdir(join(root, 'root'));
  await mkdir(join(root, 'var', 'www'), { recursive: true });
  await chmod(join(root, 'tmp'), 0o1777);
  await copyFile('/bin/busybox', join(root, 'bin', 'busybox'));
  await chmod(join(root, 'bin', 'busybox'), 0o755);
  const { stdout } = await run('/bin/busybox', ['--list']);
  for (const applet of stdout.split('\n')) {
    if (applet === '' || applet === 'busybox' || applet.includes('/')) continue;
    await symlink('busybox', join(root, 'bin', applet));
  }
  await writeFile(
    join(root, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  );
  await writeFile(join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  await writeFile(join(root, 'var', 'www', 'index.html'), 'hello from the service\n');
}

/** Builds `drone-gogs-test/busybox:latest` unless it exists. */
export async function ensureBusyboxImage(): Promise<string> {
  if (await imageExists(BUSYBOX_IMAGE)) return BUSYBOX_IMAGE;
  const dir = await makeTempDir('drone-gogs-busybox-');
  try {
    const root = join(dir.path, 'root');
    await busyboxRootfs(root);
    const archive = join(dir.path, 'rootfs.tar');
    await run('tar', ['-C', root, '-cf', archive, '.']);
    await run('docker', [
      'import',
      '--change',
      'ENV PATH=/bin',
      '--change',
      'CMD ["/bin/sh"]',
      archive,
      BUSYBOX_IMAGE,
    ]);
  } finally {
    await dir.remove();
  }
  return BUSYBOX_IMAGE;
}
