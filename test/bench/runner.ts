/**
 * `node test/bench/runner.ts`: the Docker runner against bare dockerode on the same engine, measured in the same
 * run, so the ratios mean something across machines.
 *
 * - per-step overhead: (stage of 1 + N steps − stage of 1 step) / N, against create+start+wait+remove of the
 *   same container with dockerode alone, measured in rounds between the stages so that a busy engine weighs on
 *   both alike; also against the same cycle on a user-defined network with a volume, as a step runs, to tell the
 *   runner's own cost from what Docker charges for that network;
 * - log throughput: a step printing 100 MB of 11-byte lines through the runner (split, masked, chunked to a
 *   counting sink), against attach + demux of the same output from a container with log driver none;
 * - memory: peak RSS growth of this process while a step prints those 100 MB, with the default 10 MB log cap
 *   (the runner stops reading at the cap) and with every line kept.
 */
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { LogLine, PlanStage, StageRun } from '../../sidecar/core/index.ts';
import { createBuildContext, parsePipelineFile, planPipelines } from '../../sidecar/pipeline/index.ts';
import { createDockerRunner } from '../../sidecar/runner/index.ts';
import { createTestDocker, removeInstanceResources } from '../support/docker.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/images.ts';

const docker = createTestDocker();
const instance = `bench-${process.pid}`;
const LABELS = { 'io.drone-gogs.instance': instance };
const OUTPUT_BYTES = 100_000_000;
const PRINT = `yes 0123456789 | head -c ${OUTPUT_BYTES}`;
const STEPS = 10;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function stage(yaml: string): PlanStage {
  const file = parsePipelineFile(yaml, { fileName: '.drone.yml' });
  const result = planPipelines(file, createBuildContext({ event: 'push', branch: 'main' }));
  const first = result.plan.stages[0];
  if (first === undefined) throw new Error(result.error ?? 'no stage');
  return first;
}

function serialSteps(count: number, command: string): PlanStage {
  const steps = Array.from(
    { length: count },
    (_, index) => `  - name: s${index}\n    image: ${BUSYBOX_IMAGE}\n    commands: ["${command}"]\n`,
  ).join('');
  return stage(`kind: pipeline\nname: default\nclone: { disable: true }\nsteps:\n${steps}`);
}

const logger = { debug() {}, info() {}, warn: console.warn, error: console.error };
/** Keeps every line, so that the throughput measured is the whole path's. */
const runner = createDockerRunner({ docker, logger, options: { logLimitBytes: 2 * OUTPUT_BYTES } });
/** As configured by default: the log is capped at 10 MB and the rest of the output is not read. */
const cappedRunner = createDockerRunner({ docker, logger });
let builds = 0;

async function runStage(
  plan: PlanStage,
  onLines: (lines: readonly LogLine[]) => void = () => {},
  on = runner,
): Promise<number> {
  const run: StageRun = {
    ids: { instance, repo: 'bench/runner', build: String(++builds), stage: '1' },
    stage: plan,
    secrets: { token: 'not-in-the-output' },
    trusted: false,
    workspace: { kind: 'empty' },
    logs: { write: (_step, lines) => onLines(lines) },
    statuses: { step() {} },
    timeoutMs: 600_000,
  };
  const start = performance.now();
  const result = await on.runStage(run);
  if (result.outcome !== 'success') throw new Error(`stage ${result.outcome}: ${result.error}`);
  return performance.now() - start;
}

async function bareCycle(options: Partial<Docker.ContainerCreateOptions> = {}): Promise<number> {
  const start = performance.now();
  const container = await docker.createContainer({
    Image: BUSYBOX_IMAGE,
    Cmd: ['true'],
    Labels: LABELS,
    ...options,
  });
  await container.start();
  await container.wait();
  await container.remove({ force: true });
  return performance.now() - start;
}

async function bareLogThroughput(): Promise<number> {
  const container = await docker.createContainer({
    Image: BUSYBOX_IMAGE,
    Cmd: ['sh', '-c', PRINT],
    Labels: LABELS,
    HostConfig: { LogConfig: { Type: 'none', Config: {} } },
  });
  let bytes = 0;
  const counter = () =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback();
      },
    });
  const stream = await container.attach({ stream: true, stdout: true, stderr: true });
  const ended = new Promise((resolve) => stream.on('end', resolve));
  docker.modem.demuxStream(stream, counter(), counter());
  const start = performance.now();
  await container.start();
  await container.wait();
  await ended;
  const seconds = (performance.now() - start) / 1000;
  await container.remove({ force: true });
  if (bytes !== OUTPUT_BYTES) throw new Error(`bare attach read ${bytes} bytes`);
  return OUTPUT_BYTES / 1e6 / seconds;
}

/** Options that put the bare cycle where a step runs: a user-defined bridge with an alias, and a volume. */
async function stageLikeNetwork(): Promise<Partial<Docker.ContainerCreateOptions>> {
  const name = `${instance}-network`;
  await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: LABELS });
  await docker.createVolume({ Name: name, Labels: LABELS });
  return {
    HostConfig: {
      NetworkMode: name,
      Mounts: [{ Type: 'volume', Source: name, Target: '/drone/src' }],
      LogConfig: { Type: 'none', Config: {} },
    },
    NetworkingConfig: { EndpointsConfig: { [name]: { Aliases: ['step'] } } },
  };
}

/** JavaScript heap plus the buffers outside it: what the streaming path itself holds. */
function liveBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external + usage.arrayBuffers;
}

async function runnerLogThroughput(on = runner): Promise<{
  mbPerSecond: number;
  peakGrowthMb: number;
  peakLiveGrowthMb: number;
}> {
  let bytes = 0;
  const baseline = process.memoryUsage().rss;
  const liveBaseline = liveBytes();
  let peak = baseline;
  let livePeak = liveBaseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
    livePeak = Math.max(livePeak, liveBytes());
  }, 25);
  const onLines = (lines: readonly LogLine[]) => {
    for (const line of lines) bytes += line.text.length + 1;
  };
  const plan = serialSteps(1, PRINT);
  const start = performance.now();
  await runStage(plan, onLines, on);
  clearInterval(sampler);
  const seconds = (performance.now() - start) / 1000;
  // The trace line `+ yes ...` is the only line that is not output.
  if (on === runner && bytes < OUTPUT_BYTES) throw new Error(`runner delivered ${bytes} bytes`);
  return {
    mbPerSecond: OUTPUT_BYTES / 1e6 / seconds,
    peakGrowthMb: (peak - baseline) / 1e6,
    peakLiveGrowthMb: (livePeak - liveBaseline) / 1e6,
  };
}

async function main(): Promise<void> {
  await ensureBusyboxImage();
  try {
    const onStageNetwork = await stageLikeNetwork();
    await bareCycle();
    await bareCycle(onStageNetwork);
    await runStage(serialSteps(1, 'true'));

    const bare: number[] = [];
    const networked: number[] = [];
    const single: number[] = [];
    const many: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (let index = 0; index < 2; index++) {
        bare.push(await bareCycle());
        networked.push(await bareCycle(onStageNetwork));
      }
      single.push(await runStage(serialSteps(1, 'true')));
      many.push(await runStage(serialSteps(1 + STEPS, 'true')));
    }
    const floor = median(bare);
    const networkFloor = median(networked);
    const perStep = (median(many) - median(single)) / STEPS;
    console.log(`container cycle, bare dockerode:       ${floor.toFixed(0)} ms (median of ${bare.length})`);
    console.log(
      `same on a stage-like network + volume: ${networkFloor.toFixed(0)} ms  ratio ${(networkFloor / floor).toFixed(2)}`,
    );
    console.log(
      `per step in the runner:                 ${perStep.toFixed(0)} ms  ratio ${(perStep / floor).toFixed(2)} (${(perStep / networkFloor).toFixed(2)} of the networked cycle)`,
    );
    console.log(
      `stage of 1 step (network, volume, cleanup): ${median(single).toFixed(0)} ms  ratio ${(median(single) / floor).toFixed(2)}`,
    );

    // First, while the process has not yet grown for a log: RSS never shrinks.
    const capped = await runnerLogThroughput(cappedRunner);
    const bareThroughput: number[] = [];
    const runnerThroughput: number[] = [];
    const growth: number[] = [];
    const liveGrowth: number[] = [];
    for (let index = 0; index < 3; index++) {
      bareThroughput.push(await bareLogThroughput());
      const measured = await runnerLogThroughput();
      runnerThroughput.push(measured.mbPerSecond);
      growth.push(measured.peakGrowthMb);
      liveGrowth.push(measured.peakLiveGrowthMb);
    }
    const logFloor = median(bareThroughput);
    const logRunner = median(runnerThroughput);
    console.log(`log throughput, bare attach (driver none): ${logFloor.toFixed(1)} MB/s`);
    console.log(
      `log throughput, runner to a sink:          ${logRunner.toFixed(1)} MB/s  ratio ${(logRunner / logFloor).toFixed(2)}`,
    );
    // RSS never shrinks, so only the first run shows what the process had to grow: report the worst run.
    const runs = (values: number[]) => values.map((mb) => mb.toFixed(0)).join(', ');
    console.log(
      `peak RSS growth while a step prints 100 MB (default 10 MB cap): ${capped.peakGrowthMb.toFixed(0)} MB (goal < 64 MB)`,
    );
    console.log(
      `peak RSS growth with all 100 MB kept:      ${Math.max(...growth).toFixed(0)} MB, worst run (runs: ${runs(growth)})`,
    );
    console.log(
      `peak heap + buffer growth, same runs:      ${Math.max(...liveGrowth).toFixed(0)} MB, worst run (runs: ${runs(liveGrowth)})`,
    );
  } finally {
    await removeInstanceResources(docker, instance);
  }
}

await main();
