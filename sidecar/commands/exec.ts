/**
 * `drone-gogs exec [FILE]`: runs a `.drone.yml` on the Docker engine serve's settings name, with the current
 * directory as the workspace (nothing is cloned), printing every step's log prefixed by its name and a summary.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../config/index.ts';
import type { BuildContext, LogLine, PlanStage, RunnerPool, StageResult } from '../core/index.ts';
import { openRunnerPool } from '../main.ts';
import {
  createBuildContext,
  fileTooLarge,
  formatProblem,
  MAX_FILE_BYTES,
  parsePipelineFile,
  planPipelines,
} from '../pipeline/index.ts';
import { newInstanceId } from '../runner/index.ts';
import { createLogger } from '../telemetry/index.ts';
import { type CommandInput, defineCommand } from './command-args.ts';
import type { CommandIO } from './command-io.ts';
import { textTable } from './text-table.ts';

const EXEC_OPTIONS = {
  pipeline: { type: 'string' },
  event: { type: 'string', default: 'push' },
  branch: { type: 'string' },
  'secret-file': { type: 'string' },
  trusted: { type: 'boolean', default: false },
  timeout: { type: 'string' },
} as const;

const EXEC_DETAILS = `  --pipeline NAME      run only this pipeline (default: every pipeline whose trigger matches, in file order)
  --event EVENT        build event (default push)
  --branch BRANCH      branch (default: the current git branch, else master)
  --secret-file FILE   secrets as KEY=VALUE lines (# comments and blank lines ignored)
  --trusted            allow privileged steps, host volumes, devices and network_mode
  --timeout MINUTES    stage timeout (default DRONE_GOGS_STAGE_TIMEOUT_MINUTES, 60)
`;

const COLOURS = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92];
const run = promisify(execFile);

interface ExecOptions {
  file: string;
  pipeline: string | undefined;
  event: string;
  branch: string | undefined;
  secretFile: string | undefined;
  trusted: boolean;
  /** Unset: the configured stage timeout. */
  timeoutMinutes: number | undefined;
}

function readOptions({ values, positionals }: CommandInput<typeof EXEC_OPTIONS>): ExecOptions | string {
  const timeoutMinutes = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMinutes !== undefined && (!Number.isFinite(timeoutMinutes) || timeoutMinutes <= 0))
    return `--timeout must be a positive number of minutes`;
  return {
    file: positionals[0] ?? '.drone.yml',
    pipeline: values.pipeline,
    event: values.event,
    branch: values.branch,
    secretFile: values['secret-file'],
    trusted: values.trusted,
    timeoutMinutes,
  };
}

/** KEY=VALUE lines; the value is everything after the first `=`, kept as written. */
export function parseSecretFile(text: string): Record<string, string> | string {
  const secrets: Record<string, string> = {};
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) return `line ${index + 1}: expected KEY=VALUE`;
    secrets[line.slice(0, equals).trim()] = line.slice(equals + 1);
  }
  return secrets;
}

async function git(cwd: string, args: string[]): Promise<string | null> {
  try {
    const { stdout } = await run('git', args, { cwd });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

function paint(io: CommandIO, colour: number, text: string): string {
  return io.isTTY ? `\u001b[${colour}m${text}\u001b[0m` : text;
}

/** Prints each step's lines as `[name] text`, one colour per step on a terminal. */
function terminalLogSink(io: CommandIO, stages: PlanStage[]) {
  const names = stages.flatMap((stage) => stage.steps.map((step) => step.name));
  const width = Math.max(...names.map((name) => name.length), 4);
  const colours = new Map(names.map((name, index) => [name, COLOURS[index % COLOURS.length] ?? 36]));
  return {
    write(step: string, lines: readonly LogLine[]): void {
      const prefix = paint(io, colours.get(step) ?? 36, `[${step}]`.padEnd(width + 2));
      io.stdout(lines.map((line) => `${prefix} ${line.text}\n`).join(''));
    },
  };
}

function duration(startedAt: number | null, finishedAt: number | null): string {
  if (startedAt === null || finishedAt === null) return '-';
  return `${((finishedAt - startedAt) / 1000).toFixed(1)}s`;
}

function summaryTable(runs: { stage: string; result: StageResult | null }[]): string {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const { stage, result } of runs) {
    if (result === null) {
      rows.push([stage, '', 'skipped', '', '']);
      continue;
    }
    rows.push([stage, '', result.outcome, '', duration(result.startedAt, result.finishedAt)]);
    if (result.error !== null) notes.push(`${stage}: ${result.error}`);
    for (const step of result.steps) {
      rows.push([
        '',
        step.name,
        step.status,
        step.exitCode === null ? '' : String(step.exitCode),
        duration(step.startedAt, step.finishedAt),
      ]);
      if (step.error !== null) notes.push(`${stage}/${step.name}: ${step.error}`);
    }
  }
  const table = textTable(['PIPELINE', 'STEP', 'STATUS', 'EXIT', 'TIME'], rows);
  return `\n${table}${notes.map((note) => `\n${note}`).join('')}${notes.length > 0 ? '\n' : ''}`;
}

/** Drone's rule for a stage with dependencies: all of them done, and the build's state matches on_success/on_failure. */
function mayRun(stage: PlanStage, results: Map<string, StageResult | null>): boolean {
  if (stage.dependsOn.some((name) => !results.has(name))) return false;
  const failing = [...results.values()].some((result) => result !== null && result.outcome !== 'success');
  return failing ? stage.onFailure : stage.onSuccess;
}

async function exec(input: CommandInput<typeof EXEC_OPTIONS>, io: CommandIO): Promise<number> {
  const options = readOptions(input);
  if (typeof options === 'string') return input.usageError(options);
  // The runner settings of `serve` (engines, DRONE_GOGS_STEP_*), checked and reported the same way.
  const config = loadConfig(io.env, io.cwd);

  const path = resolve(io.cwd, options.file);
  let source: Buffer;
  try {
    const info = await stat(path);
    if (info.size > MAX_FILE_BYTES) {
      io.stderr(`${formatProblem(options.file, fileTooLarge(info.size))}\n`);
      return 1;
    }
    source = await readFile(path);
  } catch (error) {
    io.stderr(
      `drone-gogs: cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`,
    );
    return 1;
  }
  let secrets: Record<string, string> = {};
  if (options.secretFile !== undefined) {
    try {
      const parsed = parseSecretFile(await readFile(resolve(io.cwd, options.secretFile), 'utf8'));
      if (typeof parsed === 'string') {
        io.stderr(`drone-gogs: ${options.secretFile}: ${parsed}\n`);
        return 2;
      }
      secrets = parsed;
    } catch (error) {
      io.stderr(
        `drone-gogs: cannot read ${options.secretFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`,
      );
      return 1;
    }
  }

  const branch = options.branch ?? (await git(io.cwd, ['rev-parse', '--abbrev-ref', 'HEAD'])) ?? 'master';
  const sha = (await git(io.cwd, ['rev-parse', 'HEAD'])) ?? '';
  const context = createBuildContext({
    event: options.event,
    branch: branch === 'HEAD' ? 'master' : branch,
    repo: `local/${basename(io.cwd) || 'repo'}`,
    trusted: options.trusted,
    sha,
    now: Math.floor(Date.now() / 1000),
  });
  const planned = planPipelines(parsePipelineFile(source, { fileName: options.file }), context);
  for (const problem of planned.problems) {
    if (problem.severity === 'error') io.stderr(`${formatProblem(options.file, problem)}\n`);
  }
  if (planned.error !== null) {
    io.stderr(`drone-gogs: ${planned.error}\n`);
    return 1;
  }
  let stages = planned.plan.stages;
  if (options.pipeline !== undefined) {
    const wanted = options.pipeline;
    stages = stages.filter((stage) => stage.name === wanted);
    if (stages.length === 0) {
      const outcome = planned.pipelines.find((pipeline) => pipeline.name === wanted);
      io.stderr(
        outcome === undefined
          ? `drone-gogs: no docker pipeline named "${wanted}" in ${options.file}\n`
          : `drone-gogs: pipeline "${wanted}" does not run for this event: ${outcome.skipReason}\n`,
      );
      return 1;
    }
    stages = stages.map((stage) => ({ ...stage, dependsOn: [] }));
  }
  if (stages.length === 0) {
    io.stderr(
      `drone-gogs: no pipeline in ${options.file} runs for event ${options.event} on branch ${context.branch}\n`,
    );
    return 1;
  }

  const logger = createLogger({
    format: config.log.format,
    level: 'warn',
    write: (line) => io.stderr(`${line}\n`),
  });
  // The engine and its images are the developer's own: a present image runs offline, whatever its registry.
  const runner = openRunnerPool(config, logger, { sharedImageCache: false, spareNetworks: false });
  try {
    const timeoutMs =
      options.timeoutMinutes === undefined ? config.runner.stageTimeoutMs : options.timeoutMinutes * 60_000;
    return await runStages(runner, { io, options, stages, secrets, context, timeoutMs });
  } finally {
    await runner.close();
  }
}

interface ExecRun {
  io: CommandIO;
  options: ExecOptions;
  stages: PlanStage[];
  secrets: Record<string, string>;
  context: BuildContext;
  timeoutMs: number;
}

async function runStages(runner: RunnerPool, run: ExecRun): Promise<number> {
  const { io, options, stages, secrets, context, timeoutMs } = run;
  const engines = await runner.checkEngines();
  if (!engines.some((engine) => engine.up)) {
    const reasons = engines.map((engine) => `${engine.name}: ${engine.lastError ?? 'no answer'}`);
    io.stderr(`drone-gogs: no Docker engine answers (${reasons.join('; ')})\n`);
    return 1;
  }
  const logs = terminalLogSink(io, stages);
  const interrupted = io.interrupted();
  const onInterrupt = () => io.stderr('\ndrone-gogs: cancelling (containers are being removed)\n');
  interrupted.addEventListener('abort', onInterrupt, { once: true });
  const instance = newInstanceId('exec', hostname(), process.pid);
  const results = new Map<string, StageResult | null>();
  try {
    for (const stage of stages) {
      if (interrupted.aborted || !mayRun(stage, results)) {
        results.set(stage.name, null);
        continue;
      }
      const result = await runner.runStage({
        ids: {
          instance,
          repo: `${context.repo.owner}/${context.repo.name}`,
          build: instance,
          stage: String(stage.number),
        },
        stage,
        secrets,
        trusted: options.trusted,
        workspace: { kind: 'directory', path: io.cwd },
        logs,
        statuses: { step: () => {} },
        signal: interrupted,
        timeoutMs,
      });
      results.set(stage.name, result);
    }
  } finally {
    interrupted.removeEventListener('abort', onInterrupt);
  }
  const runs = stages.map((stage) => ({ stage: stage.name, result: results.get(stage.name) ?? null }));
  io.stdout(summaryTable(runs));
  // A stage left out by its on_success/on_failure rule is not a failure; one left out by a cancel is.
  const failed = runs.some(({ result }) => result !== null && result.outcome !== 'success');
  return failed || interrupted.aborted ? 1 : 0;
}

export const execCommand = defineCommand({
  name: 'exec',
  args: '[FILE] [options]',
  summary:
    'run a .drone.yml (default .drone.yml) on the Docker engine serve uses, with the current directory as the workspace',
  details: EXEC_DETAILS,
  options: EXEC_OPTIONS,
  positionals: ['[FILE]'],
  run: exec,
});
