/** A plan step as Docker's container-create request. */
import type Docker from 'dockerode';
import type { PlanStage, PlanStep } from '../core/index.ts';
import type { DockerRunnerOptions } from './options.ts';
import type { StageResources } from './stage-resources.ts';

export interface ContainerSpecInput {
  stage: PlanStage;
  step: PlanStep;
  /**
   * What to create the container from: the id of the image made ready for the step, so that the container runs
   * the image its provenance names even when the step's tag moved since (another stage pulled it).
   */
  image: string;
  resources: StageResources;
  options: DockerRunnerOptions;
  labels: Record<string, string>;
  environment: string[];
  /** Whether the repository is trusted: its steps may then set memory limits above the admin's. */
  trusted: boolean;
}

type Mount = NonNullable<NonNullable<Docker.ContainerCreateOptions['HostConfig']>['Mounts']>[number];

function mounts({ stage, step, resources }: ContainerSpecInput): Mount[] {
  const list: Mount[] = [{ Type: 'volume', Source: resources.workspaceVolume, Target: stage.workspace.base }];
  for (const mount of step.volumes) {
    const volume = stage.volumes.find((candidate) => candidate.name === mount.name);
    if (volume === undefined) continue;
    if (volume.kind === 'host') list.push({ Type: 'bind', Source: volume.hostPath, Target: mount.path });
    else if (volume.medium === 'memory') {
      list.push({
        Type: 'tmpfs',
        Source: '',
        Target: mount.path,
        // SizeBytes 0 leaves the tmpfs at the engine's default size.
        TmpfsOptions: { Mode: 0o700, SizeBytes: volume.sizeLimit },
      });
    } else {
      const source = resources.tempVolumes.get(volume.name);
      if (source !== undefined) list.push({ Type: 'volume', Source: source, Target: mount.path });
    }
  }
  return list;
}

/**
 * Memory and memory-plus-swap limits in bytes (0 = none). A step's `mem_limit` and `memswap_limit` override the
 * admin's limit for a trusted repository, as on Drone; an untrusted one may lower them, never raise them past it.
 */
function memoryLimits({ step, options, trusted }: ContainerSpecInput): { memory: number; swap: number } {
  const ceiling = options.memoryBytes;
  const { memLimit, memSwapLimit } = step.resources;
  const memory = memLimit > 0 ? memLimit : ceiling;
  if (trusted || ceiling <= 0) return { memory, swap: memSwapLimit };
  return { memory: Math.min(memory, ceiling), swap: Math.min(memSwapLimit, ceiling) };
}

export function containerSpec(input: ContainerSpecInput): Docker.ContainerCreateOptions {
  const { stage, step, resources, options } = input;
  const onStageNetwork = step.networkMode === '';
  const { memory, swap } = memoryLimits(input);
  return {
    Image: input.image,
    ...(step.entrypoint.length > 0 && { Entrypoint: step.entrypoint }),
    ...(step.command.length > 0 && { Cmd: step.command }),
    Env: input.environment,
    ...(step.workingDir !== '' && { WorkingDir: step.workingDir }),
    ...(step.user !== '' && { User: step.user }),
    Labels: input.labels,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    HostConfig: {
      NetworkMode: onStageNetwork ? resources.networkName : step.networkMode,
      Privileged: step.privileged,
      Mounts: mounts(input),
      Devices: step.devices.map((device) => ({
        PathOnHost: stage.volumes.find((volume) => volume.name === device.name)?.hostPath ?? device.path,
        PathInContainer: device.path,
        CgroupPermissions: 'rwm',
      })),
      ...(memory > 0 && { Memory: memory }),
      ...(swap > 0 && { MemorySwap: swap }),
      ...(step.resources.shmSize > 0 && { ShmSize: step.resources.shmSize }),
      ...(options.cpus > 0 && { NanoCpus: Math.round(options.cpus * 1e9) }),
      ...(options.pidsLimit > 0 && { PidsLimit: options.pidsLimit }),
      ...(step.dns.length > 0 && { Dns: step.dns }),
      ...(step.dnsSearch.length > 0 && { DnsSearch: step.dnsSearch }),
      ...(step.extraHosts.length > 0 && { ExtraHosts: step.extraHosts }),
      // Read from the attach stream: json-file or local would hold output to a few MB/s (stage-recovery.ts).
      LogConfig: { Type: 'none', Config: {} },
    },
    ...(onStageNetwork && {
      NetworkingConfig: { EndpointsConfig: { [resources.networkName]: { Aliases: [step.name] } } },
    }),
  };
}
