import { describe, expect, it } from 'vitest';
import { createInspectingHarness } from './inspecting-harness.ts';
import { createHarness, dockerTestFile, IMAGE, stageFrom } from './stage-harness.ts';

const { instance } = dockerTestFile('limits');

// cgroup v2 first, then v1: whichever the host has.
const READ_LIMITS = `
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: defaults
    image: ${IMAGE}
    commands:
      - echo "memory $(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
      - echo "pids $(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)"
      - echo "cpu $(cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)"
  - name: own
    image: ${IMAGE}
    mem_limit: 64MiB
    commands:
      - echo "memory $(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
`;

describe('docker runner: resource limits', () => {
  it('applies the default memory, CPU and process limits, and a step mem_limit over them', async () => {
    const { result, logs } = await createHarness(instance).run(stageFrom(READ_LIMITS));
    expect(result.outcome).toBe('success');
    const defaults = logs.text('defaults');
    expect(defaults).toContain(`memory ${2 * 1024 ** 3}`);
    expect(defaults).toContain('pids 4096');
    expect(defaults).toMatch(/^cpu 200000( 100000)?$/m);
    expect(logs.text('own')).toContain(`memory ${64 * 1024 ** 2}`);
  });

  it('takes other limits from the options', async () => {
    const harness = createHarness(instance, { memoryBytes: 256 * 1024 ** 2, cpus: 0.5, pidsLimit: 64 });
    const { logs } = await harness.run(stageFrom(READ_LIMITS));
    const defaults = logs.text('defaults');
    expect(defaults).toContain(`memory ${256 * 1024 ** 2}`);
    expect(defaults).toContain('pids 64');
    expect(defaults).toMatch(/^cpu 50000( 100000)?$/m);
  });

  it('reports a step killed for memory as a failure with exit code 137 and says why', async () => {
    const { result, logs } = await createHarness(instance).run(
      stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: hungry
    image: ${IMAGE}
    mem_limit: 16MiB
    memswap_limit: 16MiB
    commands:
      - head -c 100000000 /dev/zero | tr '\\0' a | sort > /dev/null
`),
    );
    expect(result.outcome).toBe('failure');
    expect(result.steps[0]).toMatchObject({ name: 'hungry', status: 'failure', exitCode: 137 });
    expect(logs.text('hungry')).toContain('drone-gogs: the step ran out of memory and was killed');
  });
});

const GIB = 1024 ** 3;

/** One step asking for `mem_limit` and `memswap_limit` (bytes), and what the engine gave its container. */
async function memoryOf(memLimit: string, memSwapLimit: string, trusted: boolean, memoryBytes = 2 * GIB) {
  const stage = stageFrom(
    `kind: pipeline\nclone: {disable: true}\nsteps:\n- {name: ask, image: ${IMAGE}, mem_limit: ${memLimit}, memswap_limit: ${memSwapLimit}, commands: [true]}\n`,
    { trusted },
  );
  const { result, containers } = await createInspectingHarness(instance, { memoryBytes }).run(stage, {
    trusted,
  });
  expect(result.steps[0]).toMatchObject({ name: 'ask', status: 'success' });
  expect(containers).toHaveLength(1);
  const { Memory, MemorySwap } = containers[0]!.HostConfig;
  return { Memory, MemorySwap };
}

describe('docker runner: memory limits a pipeline asks for', () => {
  it("holds an untrusted repository's mem_limit and memswap_limit to the admin's limit", async () => {
    expect(await memoryOf('4GiB', '8GiB', false)).toEqual({ Memory: 2 * GIB, MemorySwap: 2 * GIB });
    expect(await memoryOf('1GiB', '3GiB', false)).toEqual({ Memory: GIB, MemorySwap: 2 * GIB });
  });

  it('keeps lower limits of an untrusted repository, any limits without an admin limit, and those of a trusted one', async () => {
    expect(await memoryOf('64MiB', '128MiB', false)).toEqual({
      Memory: 64 * 1024 ** 2,
      MemorySwap: 128 * 1024 ** 2,
    });
    expect(await memoryOf('4GiB', '8GiB', false, 0)).toEqual({ Memory: 4 * GIB, MemorySwap: 8 * GIB });
    expect(await memoryOf('4GiB', '8GiB', true)).toEqual({ Memory: 4 * GIB, MemorySwap: 8 * GIB });
  });
});
