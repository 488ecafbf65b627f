/** Where the repository lives in the containers (drone-runner-docker workspace.go, spec §7.2). */
import { posix } from 'node:path';
import type { Pipeline } from './document.ts';
import { matchGlob } from './glob.ts';

const DEFAULT_BASE = '/drone/src';

/** Paths the runner refuses to use for the workspace (runner-go container.IsRestrictedVolume). */
const RESTRICTED_PATHS = [
  '/',
  '/etc',
  '/etc/docker*',
  '/var',
  '/var/run*',
  '/proc*',
  '/usr/local/bin*',
  '/usr/local/sbin*',
  '/usr/bin*',
  '/bin*',
  '/mnt*',
  '/mount*',
  '/media*',
  '/sys*',
  '/dev*',
];

export function isRestrictedPath(path: string): boolean {
  const absolute = posix.resolve('/', path).toLowerCase();
  return RESTRICTED_PATHS.some((pattern) => matchGlob(pattern, absolute));
}

/** Go's path.Join: empty elements are skipped, the result cleaned, '' when nothing remains. */
function goJoin(...parts: string[]): string {
  const kept = parts.filter((part) => part !== '');
  return kept.length === 0 ? '' : posix.normalize(kept.join('/')).replace(/(.)\/$/, '$1');
}

export interface Workspace {
  base: string;
  path: string;
  full: string;
}

export function createWorkspace(pipeline: Pipeline): Workspace {
  let base = pipeline.workspace.base;
  let path = pipeline.workspace.path;
  if (base === '') {
    if (path.startsWith('/')) {
      base = path;
      path = '';
    } else base = DEFAULT_BASE;
  }
  let full = goJoin(base, path);
  if (isRestrictedPath(full)) {
    base = DEFAULT_BASE;
    path = '';
    full = DEFAULT_BASE;
  }
  if (pipeline.platform.os === 'windows') {
    const windows = (text: string) => text.replaceAll('/', '\\');
    return { base: `c:${windows(base)}`, path: windows(path), full: `c:${windows(full)}` };
  }
  return { base, path, full };
}
