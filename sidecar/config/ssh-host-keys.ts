/**
 * Host key checking of the ssh:// engines: an engine's own `sshHostKeys` (engines file), else the keys that a
 * known_hosts file (DRONE_GOGS_SSH_KNOWN_HOSTS, default ~/.ssh/known_hosts) lists for its host and port, else
 * none, so that every key is refused with how to pin it. DRONE_GOGS_INSECURE_SSH_ACCEPT_ANY_HOST_KEY turns
 * checking off for every ssh engine.
 */
import { readFileSync } from 'node:fs';
import type { EngineSetting } from './engines-file.ts';
import { knownHostKeys } from './known-hosts.ts';

export interface SshHostKeySettings {
  /** The known_hosts file, and whether it was set (a missing default file is an empty one). */
  knownHosts: { path: string; explicit: boolean };
  acceptAnyHostKey: boolean;
  /** The engines file the engines came from, if they did: a refusal names it as the other place to pin. */
  enginesFile: string | undefined;
}

/** Where an ssh address points: its host (without IPv6 brackets) and port; null for anything else. */
function sshTarget(address: string): { host: string; port: number } | null {
  const url = URL.parse(address);
  if (url === null || url.protocol !== 'ssh:' || url.hostname === '') return null;
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 22) };
}

function readKnownHosts({ path, explicit }: SshHostKeySettings['knownHosts']): string | { problem: string } {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return '';
    return { problem: `cannot read ${path}: ${code ?? String(error)}` };
  }
}

/**
 * The engines with the host keys each ssh engine may present. When the known_hosts file that was set cannot be
 * read, `problem` says so and the engines that needed it pin nothing.
 */
export function pinSshHostKeys(
  engines: EngineSetting[],
  settings: SshHostKeySettings,
): { engines: EngineSetting[]; problem: string | null } {
  let knownHosts: string | { problem: string } | undefined;
  const pinned: EngineSetting[] = [];
  for (const engine of engines) {
    const target = sshTarget(engine.address);
    if (target === null) {
      pinned.push(engine);
    } else if (settings.acceptAnyHostKey) {
      pinned.push({ ...engine, sshHostKeys: 'any' });
    } else if (engine.sshHostKeys !== undefined) {
      pinned.push(engine);
    } else {
      knownHosts ??= readKnownHosts(settings.knownHosts);
      const { path } = settings.knownHosts;
      const { host, port } = target;
      const orInEnginesFile =
        settings.enginesFile === undefined
          ? ''
          : `; or list its fingerprint in "sshHostKeys" of engine ${engine.name} in ${settings.enginesFile}`;
      pinned.push({
        ...engine,
        sshHostKeys: {
          fingerprints: typeof knownHosts === 'string' ? knownHostKeys(knownHosts, host, port) : [],
          howToPin:
            `if it is the engine's key (check on the engine: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), ` +
            `add it to ${path} (DRONE_GOGS_SSH_KNOWN_HOSTS): ssh-keyscan -H -p ${port} ${host} >> ${path}` +
            orInEnginesFile,
        },
      });
    }
  }
  return { engines: pinned, problem: typeof knownHosts === 'object' ? knownHosts.problem : null };
}
