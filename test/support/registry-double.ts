/**
 * A TEST DOUBLE of an image registry, not a registry: a node:http server on 127.0.0.1 speaking the part of the
 * Docker Registry HTTP API V2 that dockerd uses to pull (ping, manifests by tag or digest, blobs), with schema2
 * manifests, registry-style JSON errors and HTTP Basic authentication. Nothing can be pushed over HTTP; tests
 * point tags at images built from the busybox root file system of ./images.ts plus a small layer of their own,
 * and read which requests arrived.
 *
 * dockerd treats 127.0.0.0/8 as an insecure registry range by default, so plain HTTP works. It only sends Basic
 * credentials when the ping (`GET /v2/`) challenged it, and with a challenge but no credentials it refuses to
 * pull at all; so a double with users answers the ping with 401 and every repository on it needs a login, as
 * with a registry behind htpasswd. Public and private images therefore live on two doubles.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { busyboxRootfs } from './images.ts';
import { makeTempDir } from './temp-dir.ts';

const run = promisify(execFile);

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
const CONFIG_TYPE = 'application/vnd.docker.container.image.v1+json';
const LAYER_TYPE = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

export interface RecordedRequest {
  method: string;
  path: string;
  /** The Basic user name the request carried, whether or not the password was right. */
  user: string | null;
}

export interface PushedImage {
  /** `host/repository:tag`, ready for a step's `image:`. */
  reference: string;
  manifestDigest: string;
  /** What dockerd calls the image once pulled (the config's digest): `docker rmi` it even after the tag moved. */
  imageId: string;
  /** The short ids `docker pull` prints for the layers, base first. */
  layerIds: string[];
}

export interface RegistryDouble {
  /** `127.0.0.1:port`. */
  readonly host: string;
  /** Every request so far, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /**
   * Points `repository:tag` at a new image: the busybox root file system, then a layer holding `files` (paths
   * relative to the root). Re-pointing a tag is how a test "moves" it.
   */
  push(repository: string, tag: string, files: Record<string, string>): Promise<PushedImage>;
  /** How many requests (any method) had a path starting with `prefix`. */
  count(prefix: string): number;
  close(): Promise<void>;
}

export interface RegistryDoubleOptions {
  /** User name to password. With any, the ping challenges and every repository needs a login. */
  users?: Record<string, string>;
}

interface Blob {
  digest: string;
  bytes: Buffer;
}

const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

const blobOf = (bytes: Buffer): Blob => ({ digest: sha256(bytes), bytes });

async function tarOf(root: string): Promise<Buffer> {
  const { stdout } = await run(
    'tar',
    ['-C', root, '--owner=0', '--group=0', '--numeric-owner', '--sort=name', '-cf', '-', '.'],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

async function baseLayerTar(): Promise<Buffer> {
  const dir = await makeTempDir('drone-gogs-registry-');
  try {
    const root = join(dir.path, 'root');
    await busyboxRootfs(root);
    return await tarOf(root);
  } finally {
    await dir.remove();
  }
}

async function filesLayerTar(files: Record<string, string>): Promise<Buffer> {
  const dir = await makeTempDir('drone-gogs-registry-layer-');
  try {
    for (const [path, content] of Object.entries(files)) {
      const target = join(dir.path, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    return await tarOf(dir.path);
  } finally {
    await dir.remove();
  }
}

function architecture(): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le' };
  return names[process.arch] ?? process.arch;
}

interface Reply {
  status: number;
  type: string;
  body: Buffer;
  digest?: string;
}

function errorReply(status: number, code: string, message: string): Reply {
  const body = Buffer.from(JSON.stringify({ errors: [{ code, message, detail: null }] }));
  return { status, type: 'application/json', body };
}

function basicUser(request: IncomingMessage): { user: string; password: string } | null {
  const match = /^Basic (.+)$/i.exec(request.headers.authorization ?? '');
  if (match === null) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export async function startRegistryDouble(options: RegistryDoubleOptions = {}): Promise<RegistryDouble> {
  const users = options.users ?? {};
  const needsLogin = Object.keys(users).length > 0;
  const base = await baseLayerTar();
  const baseBlob = blobOf(gzipSync(base));
  const baseDiffId = sha256(base);
  const blobs = new Map<string, Blob>([[baseBlob.digest, baseBlob]]);
  /** `repository` -> reference (tag or digest) -> manifest. */
  const manifests = new Map<string, Map<string, Blob>>();
  const requests: RecordedRequest[] = [];

  function loggedIn(request: IncomingMessage): boolean {
    const given = basicUser(request);
    return !needsLogin || (given !== null && users[given.user] === given.password);
  }

  function answer(request: IncomingMessage, path: string): Reply {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return errorReply(405, 'UNSUPPORTED', 'this registry double only serves pulls');
    }
    if (!loggedIn(request)) return errorReply(401, 'UNAUTHORIZED', 'authentication required');
    if (path === '/v2/') return { status: 200, type: 'application/json', body: Buffer.from('{}') };
    const route = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
    if (route === null) return errorReply(404, 'NAME_UNKNOWN', `no route for ${path}`);
    const [, repository, kind, reference] = route as unknown as [string, string, string, string];
    const images = manifests.get(repository);
    if (images === undefined) {
      return errorReply(404, 'NAME_UNKNOWN', `repository ${repository} is not known`);
    }
    if (kind === 'manifests') {
      const manifest = images.get(reference);
      return manifest === undefined
        ? errorReply(404, 'MANIFEST_UNKNOWN', `manifest unknown: ${repository}:${reference}`)
        : { status: 200, type: MANIFEST_TYPE, body: manifest.bytes, digest: manifest.digest };
    }
    const blob = blobs.get(reference);
    return blob === undefined
      ? errorReply(404, 'BLOB_UNKNOWN', `blob unknown: ${reference}`)
      : { status: 200, type: 'application/octet-stream', body: blob.bytes, digest: blob.digest };
  }

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', 'http://registry').pathname;
    requests.push({ method: request.method ?? '', path, user: basicUser(request)?.user ?? null });
    const reply = answer(request, path);
    response.writeHead(reply.status, {
      'Content-Type': reply.type,
      'Content-Length': reply.body.length,
      ...(reply.digest === undefined ? {} : { 'Docker-Content-Digest': reply.digest }),
      ...(reply.status === 401 ? { 'WWW-Authenticate': 'Basic realm="drone-gogs registry double"' } : {}),
    });
    response.end(request.method === 'HEAD' ? undefined : reply.body);
  }

  const server = createServer(handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    host,
    requests,
    async push(repository, tag, files) {
      const top = await filesLayerTar(files);
      const topBlob = blobOf(gzipSync(top));
      const layers = [baseBlob, topBlob];
      const config = blobOf(
        Buffer.from(
          JSON.stringify({
            architecture: architecture(),
            os: 'linux',
            created: new Date().toISOString(),
            config: { Env: ['PATH=/bin'], Cmd: ['sh'] },
            rootfs: { type: 'layers', diff_ids: [baseDiffId, sha256(top)] },
            history: [
              { created_by: 'busybox root file system' },
              { created_by: `files ${Object.keys(files)}` },
            ],
          }),
        ),
      );
      const manifest = blobOf(
        Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: MANIFEST_TYPE,
            config: { mediaType: CONFIG_TYPE, size: config.bytes.length, digest: config.digest },
            layers: layers.map((layer) => ({
              mediaType: LAYER_TYPE,
              size: layer.bytes.length,
              digest: layer.digest,
            })),
          }),
        ),
      );
      for (const blob of [config, topBlob]) blobs.set(blob.digest, blob);
      const images = manifests.get(repository) ?? new Map<string, Blob>();
      images.set(tag, manifest);
      images.set(manifest.digest, manifest);
      manifests.set(repository, images);
      return {
        reference: `${host}/${repository}:${tag}`,
        manifestDigest: manifest.digest,
        imageId: config.digest,
        layerIds: layers.map((layer) => layer.digest.slice('sha256:'.length, 'sha256:'.length + 12)),
      };
    },
    count: (prefix) => requests.filter((request) => request.path.startsWith(prefix)).length,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
