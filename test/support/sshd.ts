/**
 * A real OpenSSH server (Debian's openssh-server, see setup-machine.sh) on 127.0.0.1 and a free port, for the
 * ssh:// engine tests: a fresh ed25519 host key, one authorized client key file, the current user. Sessions run
 * the user's commands on this machine, so `docker system dial-stdio` reaches the machine's dockerd, as on a
 * build host.
 *
 * sshd refuses to start without its privilege separation directory (/run/sshd, root's, not group or world
 * writable), wants its host key private (ssh-keygen writes it 0600) and, with StrictModes, checks the modes of
 * every folder above authorized_keys: StrictModes is off, since those are temporary folders.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.ts';
import { makeTempDir } from './temp-dir.ts';

const run = promisify(execFile);

export interface TestSshd {
  host: '127.0.0.1';
  port: number;
  /** `ssh://user@127.0.0.1:port`. */
  address: string;
  /** The private key file sshd lets in. */
  identityFile: string;
  /** The host key as `ssh-ed25519 AAAA…` and as `SHA256:…` (what `ssh-keygen -l` prints). */
  hostPublicKey: string;
  hostFingerprint: string;
  /** Stops sshd and the sessions it still serves, and deletes its folder. Idempotent. */
  stop(): Promise<void>;
}

export interface SshKey {
  /** The private key file; the public key is beside it, with `.pub`. */
  file: string;
  /** `ssh-ed25519 AAAA…`, without the comment. */
  publicKey: string;
  /** As `ssh-keygen -l` prints it: `SHA256:…`. */
  fingerprint: string;
}

/** A key pair made by ssh-keygen in `dir`, with the fingerprint ssh-keygen prints for it. */
export async function makeSshKey(dir: string, name: string, type = 'ed25519'): Promise<SshKey> {
  const file = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', name, '-f', file]);
  const [keyType, key] = (await readFile(`${file}.pub`, 'utf8')).split(' ');
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`]);
  return { file, publicKey: `${keyType} ${key}`, fingerprint: stdout.split(' ')[1] ?? '' };
}

/** The processes below `pid` (sshd's sessions run in sessions of their own, so a process group misses them). */
async function descendantsOf(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number.isInteger(parent)) parents.set(Number(entry), parent);
  }
  const found: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const [child, parent] of parents) {
      if (parent === next) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Starts sshd and resolves once it listens; rejects with its own words when it will not start. */
export async function startSshd(): Promise<TestSshd> {
  const dir = await makeTempDir('dg-sshd-');
  const file = (name: string) => join(dir.path, name);
  const [hostKey, clientKey] = await Promise.all([
    makeSshKey(dir.path, 'host_key'),
    makeSshKey(dir.path, 'client_key'),
  ]);
  await writeFile(file('authorized_keys'), `${clientKey.publicKey}\n`);
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const user = userInfo().username;
  await writeFile(
    file('sshd_config'),
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${hostKey.file}`,
      `PidFile ${file('sshd.pid')}`,
      `AuthorizedKeysFile ${file('authorized_keys')}`,
      `AllowUsers ${user}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      '',
    ].join('\n'),
  );
  // sshd re-executes itself, so it must be started by its absolute path.
  const daemon: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', file('sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sshd did not listen within 30 s:\n${log}`)), 30_000);
    daemon.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    daemon.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited with ${code}:\n${log}`));
    });
  }).catch(async (error: unknown) => {
    daemon.kill('SIGKILL');
    await dir.remove();
    throw error;
  });
  let stopped: Promise<void> | null = null;
  return {
    host: '127.0.0.1',
    port,
    address: `ssh://${user}@127.0.0.1:${port}`,
    identityFile: clientKey.file,
    hostPublicKey: hostKey.publicKey,
    hostFingerprint: hostKey.fingerprint,
    stop() {
      stopped ??= (async () => {
        const pid = daemon.pid;
        if (pid !== undefined && daemon.exitCode === null && daemon.signalCode === null) {
          const sessions = await descendantsOf(pid);
          const exited = new Promise((resolve) => daemon.once('exit', resolve));
          for (const session of [pid, ...sessions]) {
            try {
              process.kill(session, 'SIGTERM');
            } catch {
              // Already gone.
            }
          }
          await exited;
        }
        await dir.remove();
      })();
      return stopped;
    },
  };
}

export interface TestSshAgent {
  /** What SSH_AUTH_SOCK would be. */
  socket: string;
  stop(): Promise<void>;
}

/** An ssh-agent holding `identityFile`, on a socket of its own. */
export async function startSshAgent(identityFile: string): Promise<TestSshAgent> {
  const dir = await makeTempDir('dg-agent-');
  const socket = join(dir.path, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => agent.once('exit', resolve));
  const stop = async () => {
    if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGTERM');
    await exited;
    await dir.remove();
  };
  try {
    // It prints the variables to set once it listens.
    await new Promise<void>((resolve, reject) => {
      let output = '';
      agent.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('SSH_AUTH_SOCK=')) resolve();
      });
      agent.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      agent.once('exit', (code) => reject(new Error(`ssh-agent exited with ${code}: ${output}`)));
    });
    await run('ssh-add', ['-q', identityFile], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
  } catch (error) {
    await stop();
    throw error;
  }
  return { socket, stop };
}
