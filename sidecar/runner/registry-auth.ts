/**
 * Credentials for pulling a step's image from the stage's `image_pull_secrets`: each secret holds a docker
 * config.json (`{"auths": {"host": {"auth": base64("user:pass")}}}`); the first entry whose host is the image's
 * registry wins (drone/runner-go registry/auths; `index.docker.io` and `docker.io` are the same registry).
 */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

interface ConfigEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
}

function normaliseHost(address: string): string {
  const host =
    address
      .replace(/^[a-z]+:\/\//i, '')
      .split('/')[0]
      ?.toLowerCase() ?? '';
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/** The first path component of an image reference when it looks like a host, else ''. */
function hostPart(image: string): string {
  const slash = image.indexOf('/');
  const first = slash === -1 ? '' : image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : '';
}

/** The registry part of an image reference: the first path component when it looks like a host, else docker.io. */
export function registryOf(image: string): string {
  const host = hostPart(image);
  return host === '' ? 'docker.io' : normaliseHost(host);
}

/** Registry and repository without tag or digest: `golang:1.22` and `golang@sha256:…` are `docker.io/library/golang`. */
export function repositoryOf(image: string): string {
  const name = image.split('@')[0] ?? '';
  const colon = name.lastIndexOf(':');
  const bare = colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
  const host = hostPart(bare);
  const path = host === '' ? bare : bare.slice(host.length + 1);
  const registry = registryOf(bare);
  return `${registry}/${registry === 'docker.io' && !path.includes('/') ? `library/${path}` : path}`;
}

function credentialsOf(entry: ConfigEntry): { username: string; password: string } | null {
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') {
    return { username: entry.username, password: entry.password };
  }
  return null;
}

/** Unreadable secrets are skipped, as Drone does; null when nothing matches the image's registry. */
export function registryAuthFor(image: string, configs: readonly string[]): RegistryAuth | null {
  const registry = registryOf(image);
  for (const config of configs) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(config);
    } catch {
      continue;
    }
    const auths = (parsed as { auths?: unknown } | null)?.auths;
    if (typeof auths !== 'object' || auths === null) continue;
    for (const [address, entry] of Object.entries(auths as Record<string, ConfigEntry>)) {
      if (normaliseHost(address) !== registry || typeof entry !== 'object' || entry === null) continue;
      const credentials = credentialsOf(entry);
      if (credentials !== null) return { ...credentials, serveraddress: address };
    }
  }
  return null;
}
