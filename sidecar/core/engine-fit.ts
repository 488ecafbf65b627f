/**
 * Which Docker engine may run a stage: its labels and platform against the stage's `node:` and `platform:`, and
 * which of the fitting engines has the most room. Pure; the runner pool (to run a stage where it is told) and the
 * queue (to claim a stage for an engine) decide by the same rules.
 */
import type { EngineState, Platform } from './runner.ts';

/** What a stage asks of its engine, as the plan (`platform`, `node`) and the stored stage (os, arch, labels) have it. */
export interface EngineNeed {
  /** '' = any. */
  os: string;
  arch: string;
  labels: Readonly<Record<string, string>>;
}

/** `maybe`: the labels match but the engine's platform is not known yet (it never answered). */
export type EngineFit = 'yes' | 'no' | 'maybe';

const GO_ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm', i386: '386' };

/** Go's name of a CPU architecture (`x86_64` → `amd64`); other names as they are. */
export function goArch(arch: string): string {
  return GO_ARCH[arch] ?? arch;
}

export function engineFit(
  engine: { labels: Readonly<Record<string, string>>; platform: Platform | null },
  need: EngineNeed,
): EngineFit {
  for (const [key, value] of Object.entries(need.labels)) if (engine.labels[key] !== value) return 'no';
  if (engine.platform === null) return 'maybe';
  if (need.os !== '' && need.os !== engine.platform.os) return 'no';
  if (need.arch !== '' && goArch(need.arch) !== goArch(engine.platform.arch)) return 'no';
  return 'yes';
}

export function describeNeed(need: EngineNeed): string {
  const labels = Object.entries(need.labels).map(([key, value]) => `${key}=${value}`);
  const platform = `${need.os || 'any os'}/${need.arch || 'any arch'}`;
  return labels.length === 0 ? platform : `${platform} with labels ${labels.join(', ')}`;
}

function describePlatform(platform: Platform | null): string {
  return platform === null ? 'unknown platform' : `${platform.os}/${platform.arch}`;
}

/** Why no engine can ever run the stage, naming what it needs and what there is. */
export function noEngineMessage(
  engines: readonly Pick<EngineState, 'name' | 'platform'>[],
  need: EngineNeed,
): string {
  const there = engines.map((engine) => `${engine.name} ${describePlatform(engine.platform)}`).join(', ');
  return `no Docker engine for ${describeNeed(need)} (engines: ${there})`;
}

/**
 * Where the stage goes now: the fitting engine that answers with the largest free share (`busy` counts what runs
 * there), `full` when fitting engines exist but none has room or answers (the stage waits), `none` when no engine
 * fits or may fit once it answers (the stage cannot run).
 */
export function placeStage(
  engines: readonly Pick<EngineState, 'name' | 'up' | 'platform' | 'labels' | 'capacity'>[],
  need: EngineNeed,
  busy: (engine: string) => number,
): { engine: string } | 'full' | 'none' {
  let best: { name: string; free: number } | null = null;
  let fitting = false;
  for (const engine of engines) {
    const fit = engineFit(engine, need);
    if (fit === 'no') continue;
    fitting = true;
    if (fit !== 'yes' || !engine.up || engine.capacity <= 0) continue;
    const free = (engine.capacity - busy(engine.name)) / engine.capacity;
    if (free > 0 && (best === null || free > best.free)) best = { name: engine.name, free };
  }
  if (best !== null) return { engine: best.name };
  return fitting ? 'full' : 'none';
}
