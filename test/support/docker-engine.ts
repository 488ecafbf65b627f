/**
 * A second Docker engine for tests of several build hosts: its own dockerd (and the containerd it starts) with
 * socket, data root, exec root and pidfile under a temporary directory.
 *
 * It must leave the main engine's networking alone. A dockerd in the host's network namespace deletes `docker0`
 * when started with `--bridge none`, and also when it comes back after being killed (cleaning up its stored
 * default network); so the engine runs in a network namespace of its own (`ip netns`), reached through its unix
 * socket. Only the TLS variant, which must be reachable on 127.0.0.1, stays in the host namespace, with a bridge
 * and an address pool of its own; it is never killed.
 *
 * The test busybox image is copied in from the main engine with
 * `docker save | docker load`. It can be killed (SIGKILL, as a crashed host) and started again on the same data.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { freePort } from './free-port.ts';
import { BUSYBOX_IMAGE } from './images.ts';

const run = promisify(execFile);

export interface TestEngine {
  /** `unix:///…/docker.sock`. */
  address: string;
  /** With `{ tls: true }`: the engine also listens on `tcp://127.0.0.1:port` and verifies clients (`--tlsverify`). */
  tls: { address: string; ca: string; cert: string; key: string } | null;
  docker: Docker;
  /** Kills dockerd and its containerd at once, as a host that went away; container shims survive, as in a crash. */
  kill(): Promise<void>;
  /** Starts dockerd again on the same data (after {@link kill}); resolves once it answers. */
  start(): Promise<void>;
  /** Stops everything it started and deletes its directory. Idempotent. */
  dispose(): Promise<void>;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A zombie (killed, not yet reaped by whoever inherited it) counts as dead. */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function pidIn(file: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl in `dir`. */
async function makeCertificates(dir: string): Promise<void> {
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=test-ca',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
  );
  for (const [name, extension] of [
    ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    await openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}-key.pem`,
      '-out',
      `${name}.csr`,
    );
    await writeFile(`${dir}/${name}.ext`, extension);
    await openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
  }
}

export async function startTestEngine(options: { tls?: boolean } = {}): Promise<TestEngine> {
  // Unix socket paths are limited to about 100 bytes: stay short.
  const root = await mkdtemp('/tmp/dg-engine-');
  let tls: TestEngine['tls'] = null;
  const tlsArgs: string[] = [];
  if (options.tls) {
    await makeCertificates(root);
    const port = await freePort();
    tls = {
      address: `tcp://127.0.0.1:${port}`,
      ca: `${root}/ca.pem`,
      cert: `${root}/client.pem`,
      key: `${root}/client-key.pem`,
    };
    tlsArgs.push(
      '--host',
      `tcp://127.0.0.1:${port}`,
      '--tlsverify',
      '--tlscacert',
      `${root}/ca.pem`,
      '--tlscert',
      `${root}/server.pem`,
      '--tlskey',
      `${root}/server-key.pem`,
    );
  }
  const socket = `${root}/docker.sock`;
  const suffix = root
    .slice(-6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0');
  const namespace = options.tls ? null : `dg-engine-${suffix}`;
  const bridge = options.tls ? `dgb-${suffix}` : null;
  const networkArgs: string[] = [];
  if (namespace !== null) {
    await run('ip', ['netns', 'add', namespace]);
    await run('ip', ['netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up']);
  } else if (bridge !== null) {
    // 10.213–10.222: away from Docker's default pools (172.17–31, 192.168) that the main engine uses.
    const subnet = `10.${213 + (Number.parseInt(suffix, 36) % 10)}`;
    await run('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${subnet}.255.1/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
    networkArgs.push('--bridge', bridge, '--default-address-pool', `base=${subnet}.0.0/16,size=24`);
  }
  const docker = new Docker({ socketPath: socket });
  let daemon: ChildProcess | null = null;

  const answers = async () => {
    try {
      await docker.ping();
      return true;
    } catch {
      return false;
    }
  };

  async function start(): Promise<void> {
    const log = openSync(`${root}/dockerd.log`, 'a');
    const command = [
      'dockerd',
      '--host',
      `unix://${socket}`,
      '--data-root',
      `${root}/data`,
      '--exec-root',
      `${root}/exec`,
      '--pidfile',
      `${root}/docker.pid`,
      '--iptables=false',
      '--ip-masq=false',
      '--shutdown-timeout',
      '1',
      ...networkArgs,
      ...tlsArgs,
    ];
    // nsenter (unlike `ip netns exec`, which remounts /sys without the cgroups) execs dockerd in place.
    const [file, ...args] =
      namespace === null ? command : ['nsenter', `--net=/run/netns/${namespace}`, '--', ...command];
    daemon = spawn(file ?? 'dockerd', args, { stdio: ['ignore', log, log] });
    await waitFor(answers, `the test dockerd at ${socket} (log: ${root}/dockerd.log)`);
  }

  async function stopDaemon(signal: NodeJS.Signals): Promise<void> {
    const child = daemon;
    daemon = null;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Stops the containerd dockerd started and forgets its pid file, which a new dockerd would otherwise trust. */
  async function stopContainerd(signal: NodeJS.Signals): Promise<void> {
    const pidFile = `${root}/exec/containerd/containerd.pid`;
    const pid = await pidIn(pidFile);
    if (pid !== null && (await alive(pid))) {
      process.kill(pid, signal);
      await waitFor(async () => !(await alive(pid)), 'the test containerd to stop', 10_000);
    }
    await rm(pidFile, { force: true });
  }

  await start();
  await run('sh', ['-c', `docker save ${BUSYBOX_IMAGE} | docker -H unix://${socket} load`]);

  let disposed = false;
  return {
    address: `unix://${socket}`,
    tls,
    docker,
    async kill() {
      await stopDaemon('SIGKILL');
      await stopContainerd('SIGKILL');
    },
    start,
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (daemon === null) await start().catch(() => undefined);
      if (await answers()) {
        const containers = await docker.listContainers({ all: true }).catch(() => []);
        await Promise.all(
          containers.map((info) =>
            docker
              .getContainer(info.Id)
              .remove({ force: true })
              .catch(() => undefined),
          ),
        );
        // User networks are host interfaces (br-…): remove them while the engine can.
        const networks = await docker.listNetworks().catch(() => []);
        for (const network of networks) {
          if (['bridge', 'host', 'none'].includes(network.Name)) continue;
          await docker
            .getNetwork(network.Id)
            .remove()
            .catch(() => undefined);
        }
      }
      await stopDaemon('SIGTERM');
      await stopContainerd('SIGTERM').catch(() => stopContainerd('SIGKILL'));
      const mounts = (await readFile('/proc/mounts', 'utf8'))
        .split('\n')
        .map((line) => line.split(' ')[1] ?? '')
        .filter((path) => path.startsWith(`${root}/`))
        .reverse();
      for (const mount of mounts) await run('umount', ['-l', mount]).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
      if (bridge !== null) await run('ip', ['link', 'del', bridge]).catch(() => undefined);
      if (namespace !== null) await run('ip', ['netns', 'del', namespace]).catch(() => undefined);
    },
  };
}
