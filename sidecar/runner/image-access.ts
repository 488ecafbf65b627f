/**
 * Whether an untrusted repository may use an image another build left on the engine. The engine's image cache is
 * shared by every repository: an image pulled with one repository's registry credentials would otherwise run for
 * any other repository that names it under `if-not-exists` or `never`, without credentials.
 *
 * No record of who pulled what with which credentials is kept (it would have to live in the database, shared by
 * every sidecar process, and would miss pulls made outside drone-gogs); the registry decides, every time. An
 * image the engine knows by registry digest (`RepoDigests`: it was pulled or pushed) is used once a registry has
 * answered a manifest request for one of those digests with this repository's own credentials for it, or
 * anonymously when it has none. The engine asks over its own network and registry settings
 * (`GET /distribution/{name}/json`): one manifest and the image config, no layers, and no tag moves (a pull by
 * digest would prove nothing: dockerd answers a digest it holds without asking the registry). An image with no
 * registry digest was built or imported on the host and is used as is.
 */
import type Docker from 'dockerode';
import { engineMessage, isNotFound } from './docker-errors.ts';
import { type RegistryAuth, registryAuthFor, repositoryOf } from './registry-auth.ts';

export interface CachedImage {
  /** The engine's id of the image, `sha256:…`. */
  id: string;
  /** Registry references of the image's content, `host/repository@sha256:…`; empty for images built on the host. */
  repoDigests: string[];
}

export type ImageAccess =
  | { allowed: true }
  | { allowed: false; reference: string; auth: RegistryAuth | null; reason: string };

/** The image on the engine, or null when it is not there. */
export async function cachedImage(docker: Docker, image: string): Promise<CachedImage | null> {
  try {
    const info = await docker.getImage(image).inspect();
    return { id: info.Id, repoDigests: info.RepoDigests ?? [] };
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/**
 * What a step running `image` runs, for its provenance: the registry digest of the image's own repository
 * (`host/repository@sha256:…`, the one `image` names when it names a digest), else the engine's image id, which is
 * what an image built or imported on the host, or only known under another repository, has.
 */
export function imageDigest(cached: CachedImage, image: string): string {
  const own = repositoryOf(image);
  const named = image.includes('@') ? image.slice(image.lastIndexOf('@')) : null;
  const ofRepository = cached.repoDigests.filter((reference) => repositoryOf(reference) === own);
  return (
    ofRepository.find((reference) => named !== null && reference.endsWith(named)) ??
    ofRepository[0] ??
    cached.id
  );
}

/** ` as alice` when credentials are used, for log lines. */
export function asUser(auth: RegistryAuth | null): string {
  return auth === null ? '' : ` as ${auth.username}`;
}

/**
 * Asks the registries behind the image's digests, the step's own repository first, until one lets this
 * repository read the manifest; the first refusal is reported. `pullSecrets` are the docker config.json texts of
 * the stage's image_pull_secrets.
 */
export async function checkImageAccess(
  docker: Docker,
  image: string,
  cached: CachedImage,
  pullSecrets: readonly string[],
  note: (line: string) => void,
): Promise<ImageAccess> {
  const own = repositoryOf(image);
  const candidates = [...cached.repoDigests].sort(
    (a, b) => Number(repositoryOf(b) === own) - Number(repositoryOf(a) === own),
  );
  let refusal: ImageAccess | null = null;
  for (const reference of candidates) {
    const auth = registryAuthFor(reference, pullSecrets);
    note(`drone-gogs: asking the registry whether this repository may use ${reference}${asUser(auth)}`);
    try {
      await docker.getImage(reference).distribution(auth === null ? {} : { authconfig: auth });
      return { allowed: true };
    } catch (error) {
      refusal ??= { allowed: false, reference, auth, reason: engineMessage(error) };
    }
  }
  return refusal ?? { allowed: true };
}
