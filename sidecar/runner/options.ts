/** Settings of the Docker runner; main.ts builds them from the configuration. */
export interface DockerRunnerOptions {
  /** Default container memory limit in bytes when a step sets no `mem_limit`; 0 = none. */
  memoryBytes: number;
  /** CPUs per container (fractions allowed); 0 = no limit. */
  cpus: number;
  /** Maximum processes per container; 0 = no limit. */
  pidsLimit: number;
  /** Bytes of output kept per step; the log then ends with a truncation line. */
  logLimitBytes: number;
  /** The sink receives a chunk when this many lines are buffered ... */
  logChunkLines: number;
  /** ... or when the oldest buffered line is this old (live readers see lines this much later, plus a write). */
  logFlushMs: number;
  /**
   * The engine's images serve the repositories of many people (serve), so an untrusted repository may use a
   * present registry image only once the registry lets it (image-access.ts). False for a developer's own engine
   * (`drone-gogs exec`), where every present image is theirs and runs offline.
   */
  sharedImageCache: boolean;
  /**
   * The clone checks out straight into the workspace volume when the engine's volumes are writable from this
   * process (volume-on-host.ts); false always checks out on the host and copies it in, as for remote engines.
   */
  checkoutIntoVolume: boolean;
}

export const DEFAULT_RUNNER_OPTIONS: DockerRunnerOptions = {
  memoryBytes: 2 * 1024 ** 3,
  cpus: 2,
  pidsLimit: 4096,
  logLimitBytes: 10 * 1024 * 1024,
  logChunkLines: 500,
  logFlushMs: 100,
  sharedImageCache: true,
  checkoutIntoVolume: true,
};
