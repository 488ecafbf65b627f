/**
 * The plan as people and scripts read it: the JSON of `drone-gogs pipeline plan --json` and its text tree. Keys
 * are snake_case, like Drone's own API.
 */
import type { PipelinePlan } from './plan.ts';

export interface StepSummary {
  name: string;
  /** As written in the file, after substitution. */
  image: string;
  run_policy: string;
  depends_on: string[];
  /** Number the step gets in the build, null when it does not run (`never`). */
  number: number | null;
  /** Why `when` excludes it; present only for `never` steps. */
  excluded_by?: string;
  detach?: true;
}

export interface PipelineSummary {
  name: string;
  type: 'docker';
  runs: boolean;
  /** Why the trigger did not match. */
  skip_reason?: string;
  /** Stages this one waits for, after pipelines that do not run were bypassed. */
  depends_on: string[];
  clone: boolean;
  steps: StepSummary[];
  services: string[];
  /** Why the stage would end in error before running anything. */
  error?: string;
}

export interface PlanSummary {
  pipelines: PipelineSummary[];
  ignored: { name: string; type: string }[];
  /** Set when the whole build would be an error. */
  error?: string;
}

export function summarizePlan(result: PipelinePlan): PlanSummary {
  const pipelines = result.pipelines.map((outcome): PipelineSummary => {
    const written = new Map(
      [...outcome.pipeline.services, ...outcome.pipeline.steps].map(
        (step) => [step.name, step.image] as const,
      ),
    );
    const stage = outcome.stage;
    const summary: PipelineSummary = {
      name: outcome.name,
      type: 'docker',
      runs: outcome.runs,
      depends_on: stage.dependsOn,
      clone: !stage.clone.disabled,
      steps: stage.steps
        .filter((step) => step.role === 'step')
        .map((step) => {
          const entry: StepSummary = {
            name: step.name,
            image: written.get(step.name) ?? step.image,
            run_policy: step.runPolicy,
            depends_on: step.dependsOn,
            number: step.number,
          };
          const reason = outcome.excluded.get(step.name);
          if (reason !== undefined) entry.excluded_by = reason;
          if (step.detach) entry.detach = true;
          return entry;
        }),
      services: stage.steps.filter((step) => step.role === 'service').map((step) => step.name),
    };
    if (outcome.skipReason !== null) summary.skip_reason = outcome.skipReason;
    if (stage.error !== null) summary.error = stage.error;
    return summary;
  });
  const summary: PlanSummary = { pipelines, ignored: result.ignored };
  if (result.error !== null) summary.error = result.error;
  return summary;
}

/** A readable tree: one block per pipeline, one line per step with its policy and what it waits for. */
export function renderPlanTree(summary: PlanSummary): string {
  const lines: string[] = [];
  if (summary.error !== undefined) lines.push(`build error: ${summary.error}`);
  for (const pipeline of summary.pipelines) {
    const status = pipeline.runs ? 'runs' : `skipped (${pipeline.skip_reason ?? 'trigger'})`;
    const waits = pipeline.depends_on.length > 0 ? `, after ${pipeline.depends_on.join(', ')}` : '';
    lines.push(`pipeline ${pipeline.name}: ${status}${waits}`);
    if (pipeline.error !== undefined) lines.push(`  error: ${pipeline.error}`);
    const entries = [
      ...(pipeline.clone ? ['clone (always)'] : []),
      ...pipeline.services.map((name) => `service ${name}`),
      ...pipeline.steps.map((step) => {
        const after = step.depends_on.length > 0 ? ` after ${step.depends_on.join(', ')}` : '';
        const why = step.excluded_by !== undefined ? ` [${step.excluded_by}]` : '';
        return `${step.name} (${step.run_policy}) ${step.image}${after}${why}`;
      }),
    ];
    entries.forEach((entry, index) => {
      lines.push(`  ${index === entries.length - 1 ? '└─' : '├─'} ${entry}`);
    });
  }
  for (const pipeline of summary.ignored)
    lines.push(`pipeline ${pipeline.name}: ignored (type ${pipeline.type})`);
  if (summary.pipelines.length === 0 && summary.ignored.length === 0) lines.push('no pipelines');
  return `${lines.join('\n')}\n`;
}
