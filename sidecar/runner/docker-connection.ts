/** A Docker engine client from a DOCKER_HOST-style address, so that callers never read the environment themselves. */
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { AppError, type SshHostKeyPolicy } from '../core/index.ts';
import { SshDialAgent } from './ssh-dial-agent.ts';

/** Files of a TLS client: the CA that signed the engine's certificate, and this client's certificate and key. */
export interface DockerTlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface DockerAccess {
  /** For `tcp://` addresses: speak HTTPS and verify the engine against `ca` (Docker's `--tlsverify`). */
  tls?: DockerTlsFiles;
  /** For `ssh://` addresses: the private key file, or else the ssh agent's socket (config/ reads SSH_AUTH_SOCK). */
  sshIdentityFile?: string;
  sshAgentSocket?: string;
  /** For `ssh://` addresses: the host keys the engine may present; without it the address is refused. */
  sshHostKeys?: SshHostKeyPolicy;
}

function readConfigFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new AppError('CONFIG_INVALID', `cannot read the Docker ${what} file ${path}`, { cause });
  }
}

/**
 * `unix:///path` or '' (the local socket); `tcp://host:port` (plain HTTP on 2375, or HTTPS on 2376 with `tls`);
 * `http://host:port`; `ssh://user@host[:port]` (the engine's socket through ssh, like `docker -H ssh://`, refusing
 * a host key that is not pinned with AppError SSH_HOST_KEY_UNKNOWN). Anything else, an ssh address without
 * identity or host keys, or an unreadable TLS or key file: AppError CONFIG_INVALID.
 */
export function connectDocker(address = '', access: DockerAccess = {}): Docker {
  if (address === '') return new Docker({ socketPath: '/var/run/docker.sock' });
  const url = URL.parse(address);
  if (url === null) throw new AppError('CONFIG_INVALID', `Docker address ${address} is not a URL`);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  if (url.protocol === 'tcp:' && access.tls !== undefined) {
    return new Docker({
      protocol: 'https',
      host: url.hostname,
      port: Number(url.port || 2376),
      ca: readConfigFile(access.tls.ca, 'TLS CA'),
      cert: readConfigFile(access.tls.cert, 'TLS certificate'),
      key: readConfigFile(access.tls.key, 'TLS key'),
    });
  }
  if (url.protocol === 'tcp:' || url.protocol === 'http:') {
    return new Docker({ protocol: 'http', host: url.hostname, port: Number(url.port || 2375) });
  }
  if (url.protocol === 'ssh:' && url.username !== '' && url.hostname !== '') {
    const key = access.sshIdentityFile;
    const agentSocket = access.sshAgentSocket;
    const hostKeys = access.sshHostKeys;
    if (key === undefined && agentSocket === undefined) {
      throw new AppError(
        'CONFIG_INVALID',
        `Docker address ${address} needs an ssh identity file or agent socket`,
      );
    }
    if (hostKeys === undefined) {
      throw new AppError('CONFIG_INVALID', `Docker address ${address} needs pinned ssh host keys`);
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port || 22);
    const agent = new SshDialAgent({
      host,
      port,
      username: decodeURIComponent(url.username),
      hostKeys,
      ...(key === undefined ? { agentSocket } : { privateKey: readConfigFile(key, 'ssh identity') }),
    });
    // dockerode hands its options to docker-modem, which sends every request through `agent`.
    return new Docker({ protocol: 'http', host, port, agent } as Docker.DockerOptions);
  }
  throw new AppError(
    'CONFIG_INVALID',
    `unsupported Docker address ${address}: use unix:///path, tcp://host:port or ssh://user@host`,
  );
}
