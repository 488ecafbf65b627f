/**
 * The connections of an `ssh://` engine, as `docker -H ssh://` makes them: each one is an ssh session running
 * `docker system dial-stdio` on the engine's host, carrying the Engine API. Our own http.Agent rather than
 * docker-modem's ssh mode so that the host key is checked against the pinned keys and a refusal says which key
 * was presented and how to pin it (ssh2 alone reports "Host denied (verification failed)").
 */
import { Agent, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';
import { AppError, type SshHostKeyPolicy, sshKeyFingerprint, sshKeyType } from '../core/index.ts';

export interface SshDialTarget {
  host: string;
  port: number;
  username: string;
  /** A private key, or else the ssh agent's socket. */
  privateKey?: Buffer;
  agentSocket?: string;
  hostKeys: SshHostKeyPolicy;
}

export class SshDialAgent extends Agent {
  readonly #target: SshDialTarget;

  constructor(target: SshDialTarget) {
    super();
    this.#target = target;
  }

  override createConnection(
    _options: ClientRequestArgs,
    callback?: (error: Error | null, stream: Duplex) => void,
  ): undefined {
    const { host, port, username, privateKey, agentSocket, hostKeys } = this.#target;
    const client = new Client();
    /** The error to report when the engine presented a host key that is not pinned. */
    let refusal: ((cause: Error) => AppError) | null = null;
    let stream: Duplex | null = null;
    let answered = false;
    const fail = (error: Error) => {
      client.end();
      if (stream !== null) stream.destroy();
      else if (!answered) {
        answered = true;
        callback?.(error, undefined as never);
      }
    };
    const hostVerifier = (key: Buffer): boolean => {
      const fingerprint = sshKeyFingerprint(key);
      if (hostKeys === 'any' || hostKeys.fingerprints.includes(fingerprint)) return true;
      refusal = (cause) =>
        new AppError(
          'SSH_HOST_KEY_UNKNOWN',
          `ssh engine ${host}:${port} presented the host key ${sshKeyType(key)} ${fingerprint}, which is not pinned; ${hostKeys.howToPin}`,
          { cause, details: { host, port, fingerprint } },
        );
      return false;
    };
    client.once('ready', () => {
      client.exec('docker system dial-stdio', (error, channel) => {
        if (error) return fail(error);
        stream = channel;
        answered = true;
        channel.once('close', () => client.end());
        callback?.(null, channel);
      });
    });
    client.on('error', (error) => fail(refusal === null ? error : refusal(error)));
    const config: ConnectConfig = { host, port, username, hostVerifier };
    if (privateKey !== undefined) config.privateKey = privateKey;
    else if (agentSocket !== undefined) config.agent = agentSocket;
    client.connect(config);
    return undefined;
  }
}
