/**
 * What a build runs, decided the way Drone decides it: the server's part (lint, `trigger` on the raw file,
 * pipeline dependencies with skipped pipelines bypassed, stage numbering) and the runner's part (`${...}`
 * substitution per stage, parse again, `when`, compile). Returns the {@link Plan} for the runner plus, for
 * people and the CLI, every docker pipeline with the reason it does not run.
 */
import type { BuildContext, FileSecret, Plan, PlanStage } from '../core/index.ts';
import { type CompileOptions, compileStage, DEFAULT_COMPILE_OPTIONS } from './compile.ts';
import { firstMismatch, pipelineStatusFlags, stepRunPolicy, TRIGGER_CHECKS } from './conditions.ts';
import { boundedContext, contextLimitProblem } from './context-limits.ts';
import {
  isDockerType,
  isEmptyCondition,
  isPipeline,
  type ParsedDocument,
  type Pipeline,
  stageName,
} from './document.ts';
import { type StageInfo, substitutionLookup } from './environment.ts';
import { effectiveDependencies, findCycle, type PipelineVertex } from './graph.ts';
import { lintDocument, lintPipelineFile } from './lint.ts';
import {
  createMatchBudget,
  MATCH_STEP_LIMIT,
  type MatchBudget,
  MatchBudgetExceeded,
  PLANNING_TOO_LONG,
} from './match-budget.ts';
import { type ParsedFile, parseSourceDocument } from './parse.ts';
import type { Problem } from './problems.ts';
import { type SourceDocument, splitDocuments } from './source-text.ts';
import { applyEdits, parseTemplate, type Template, type TextEdit } from './substitute.ts';
import { editsByDocument, substituteInPlace } from './substitute-in-place.ts';

export interface PlanOptions {
  /** Defaults to the context's repository setting. */
  trusted?: boolean;
  /** False when the repository is protected and the signature did not verify: every stage starts blocked. */
  signatureVerified?: boolean;
  compile?: CompileOptions;
  /** Matching steps the whole plan may spend (see match-budget.ts); defaults to {@link MATCH_STEP_LIMIT}. */
  matchStepLimit?: number;
}

export interface PipelineOutcome {
  /** Stage name (`default` for an unnamed pipeline). */
  name: string;
  /** True when the trigger matched: the stage exists in the build. */
  runs: boolean;
  /** Why the trigger did not match (`branch: does not match branch "dev"`); null when it runs. */
  skipReason: string | null;
  /** The compiled stage; number 0 when the pipeline does not run. */
  stage: PlanStage;
  /** The pipeline after substitution, as the runner sees it. */
  pipeline: Pipeline;
  /** Why a step's `when` excludes it, by step name. */
  excluded: Map<string, string>;
}

export interface PipelinePlan {
  plan: Plan;
  /** Every docker pipeline in file order. */
  pipelines: PipelineOutcome[];
  /** Pipelines of other types (exec, ssh, kubernetes, vm, ...), which are not run here. */
  ignored: { name: string; type: string }[];
  problems: Problem[];
  /** Set when Drone would create an errored build instead of stages; the plan is then empty. */
  error: string | null;
  /**
   * Whether a `paths:` condition was there to evaluate (a docker pipeline's trigger, or the `when` of a step of
   * one after substitution). When not, the plan is the same whatever files changed, and the caller need not wait
   * to learn them.
   */
  readsChangedPaths: boolean;
}

/** Errors that only fail the stage at run time (runner lint); every other error fails the whole build. */
const STAGE_LEVEL_RULES = new Set([
  'missing-step-name',
  'step-name-too-long',
  'duplicate-step-name',
  'missing-image',
  'step-self-dependency',
  'later-step-dependency',
  'unknown-step-dependency',
  'step-cycle',
  'untrusted-repository',
  'reserved-volume-name',
  'restricted-mount-path',
  'pipeline-environment-secret',
]);

function located(file: ParsedFile, problem: Problem): string {
  return `${file.fileName}:${problem.line}:${problem.col}: ${problem.message}`;
}

function fileSecrets(file: ParsedFile): FileSecret[] {
  return file.documents.flatMap(({ resource }) =>
    resource.kind === 'secret' ? [{ name: resource.name, data: resource.data, get: resource.get }] : [],
  );
}

interface PipelineEntry {
  document: ParsedDocument;
  pipeline: Pipeline;
}

/** Runner-side view of the file for one stage: substituted, re-parsed where the text changed. */
class SubstitutedFile {
  readonly #file: ParsedFile;
  readonly #trusted: boolean;
  readonly #budget: MatchBudget;
  readonly #template: Template | null;
  readonly #templateError: string | null;
  readonly #byValues = new Map<
    string,
    { documents: ParsedDocument[]; problems: Problem[] } | { error: string }
  >();
  readonly #parsedDocuments = new Map<string, { document: ParsedDocument; problems: Problem[] }>();

  constructor(file: ParsedFile, trusted: boolean, budget: MatchBudget) {
    this.#file = file;
    this.#trusted = trusted;
    this.#budget = budget;
    const parsed = parseTemplate(file.text);
    this.#template = parsed.ok ? parsed.template : null;
    this.#templateError = parsed.ok ? null : `cannot emulate bash substitution: ${parsed.error}`;
  }

  /** The docker pipeline named `name` after substitution with `values`, or why there is none. */
  pipeline(
    name: string,
    lookup: (variable: string) => string | undefined,
  ): { entry: PipelineEntry; problems: Problem[] } | { error: string } {
    const resolved = this.#resolve(lookup);
    if ('error' in resolved) return resolved;
    for (const document of resolved.documents) {
      const resource = document.resource;
      if (isPipeline(resource) && isDockerType(resource) && stageName(resource) === name) {
        return {
          entry: { document, pipeline: resource },
          problems: resolved.problems.filter((problem) => problem.document === document.index),
        };
      }
    }
    return { error: `cannot find pipeline "${name}" after substitution (its name must not use \${...})` };
  }

  #resolve(
    lookup: (variable: string) => string | undefined,
  ): { documents: ParsedDocument[]; problems: Problem[] } | { error: string } {
    if (this.#template === null) return { error: this.#templateError ?? 'cannot emulate bash substitution' };
    const template = this.#template;
    const values: Record<string, string> = {};
    for (const variable of template.variables) values[variable] = lookup(variable) ?? '';
    const key = JSON.stringify(Object.values(values));
    const cached = this.#byValues.get(key);
    if (cached !== undefined) return cached;
    const substituted = template.edits(values, this.#budget);
    let result: { documents: ParsedDocument[]; problems: Problem[] } | { error: string };
    if (!substituted.ok) result = { error: `cannot emulate bash substitution: ${substituted.error}` };
    else {
      const documents: ParsedDocument[] = [];
      const problems: Problem[] = [];
      for (const { original, edits, source, index } of this.#changes(substituted.edits)) {
        if (original !== undefined && edits.length === 0) {
          documents.push(original);
          continue;
        }
        let parsed = this.#parsedDocuments.get(source.data);
        if (parsed === undefined) {
          const fresh =
            (original === undefined ? null : substituteInPlace(original, edits, source)) ??
            parseSourceDocument(source, index);
          parsed = {
            document: fresh.document,
            problems: lintDocument(fresh.document, fresh.problems, { trusted: this.#trusted }),
          };
          this.#parsedDocuments.set(source.data, parsed);
        }
        documents.push(parsed.document);
        problems.push(...parsed.problems);
      }
      // The runner parses the whole substituted file: one unreadable document fails every stage.
      const unreadable = documents.find((document) => document.resource.kind === 'invalid');
      const reason = problems.find(
        (problem) => problem.document === unreadable?.index && problem.severity === 'error',
      );
      result = reason === undefined ? { documents, problems } : { error: located(this.#file, reason) };
    }
    this.#byValues.set(key, result);
    return result;
  }

  /**
   * Each document after the edits: the original with its own edits where the file splits as before, otherwise
   * the substituted text split again (`original` then only where a document's text did not change).
   */
  #changes(
    edits: TextEdit[],
  ): { original: ParsedDocument | undefined; edits: TextEdit[]; source: SourceDocument; index: number }[] {
    const raw = this.#file.documents;
    const byDocument = editsByDocument(this.#file, edits);
    if (byDocument !== null) {
      return raw.map((original, index) => {
        const own = byDocument[index] ?? [];
        const data = applyEdits(original.data, own);
        return { original, edits: own, source: { data, startLine: original.startLine }, index };
      });
    }
    return splitDocuments(applyEdits(this.#file.text, edits)).documents.map((source, index) => {
      const original = raw[index];
      const same = original !== undefined && original.data === source.data;
      return { original: same ? original : undefined, edits: [], source, index };
    });
  }
}

/** One problem instead of a plan: the context is over a cap, or matching ran out of budget. */
function refusedPlan(rule: string, message: string): PipelinePlan {
  return {
    plan: { stages: [], fileSecrets: [] },
    pipelines: [],
    ignored: [],
    problems: [{ severity: 'error', rule, message, line: 1, col: 1 }],
    error: message,
    readsChangedPaths: false,
  };
}

/** The plan of a file whose planning ran out of steps or, in a worker, out of time: one problem, no stages. */
export function planningTooLong(): PipelinePlan {
  return refusedPlan('planning-too-long', PLANNING_TOO_LONG);
}

/**
 * What the file runs for this build. Pure and bounded: a context over the caps of context-limits.ts, or
 * conditions that spend more than the budget of matching steps, give one problem and no plan.
 */
export function planPipelines(
  file: ParsedFile,
  context: BuildContext,
  options: PlanOptions = {},
): PipelinePlan {
  // Too many changed files count as unknown before any of them is measured.
  const bounded = boundedContext(context);
  const tooLong = contextLimitProblem(bounded);
  if (tooLong !== null) return refusedPlan('context-too-long', tooLong);
  const budget = createMatchBudget(options.matchStepLimit ?? MATCH_STEP_LIMIT);
  try {
    return planWithin(file, bounded, options, budget);
  } catch (error) {
    if (error instanceof MatchBudgetExceeded) return planningTooLong();
    throw error;
  }
}

function planWithin(
  file: ParsedFile,
  context: BuildContext,
  options: PlanOptions,
  budget: MatchBudget,
): PipelinePlan {
  const trusted = options.trusted ?? context.repo.trusted;
  const problems = lintPipelineFile(file, { trusted });
  const entries: PipelineEntry[] = file.documents.flatMap((document) =>
    isPipeline(document.resource) ? [{ document, pipeline: document.resource }] : [],
  );
  const dockerIndexes = new Set(
    entries.filter(({ pipeline }) => isDockerType(pipeline)).map(({ document }) => document.index),
  );
  const ignored = entries
    .filter(({ pipeline }) => !isDockerType(pipeline))
    .map(({ pipeline }) => ({ name: stageName(pipeline), type: pipeline.type }));
  const empty = (error: string | null): PipelinePlan => ({
    plan: { stages: [], fileSecrets: fileSecrets(file) },
    pipelines: [],
    ignored,
    problems,
    error,
    readsChangedPaths: false,
  });

  const buildError = problems.find(
    (problem) =>
      problem.severity === 'error' &&
      (!STAGE_LEVEL_RULES.has(problem.rule) ||
        problem.document === undefined ||
        !dockerIndexes.has(problem.document)),
  );
  if (buildError !== undefined) return empty(located(file, buildError));

  const mismatches = entries.map(({ pipeline }) =>
    isDockerType(pipeline)
      ? (firstMismatch(TRIGGER_CHECKS, pipeline.trigger, context, budget) ?? null)
      : 'not a docker pipeline',
  );
  const vertices: PipelineVertex[] = entries.map(({ pipeline }, index) => ({
    name: pipeline.name,
    dependsOn: pipeline.dependsOn,
    skip: mismatches[index] !== null,
  }));
  if (findCycle(vertices) !== null) return empty('dependency cycle detected in pipeline');

  const substituted = new SubstitutedFile(file, trusted, budget);
  const compileOptions = options.compile ?? DEFAULT_COMPILE_OPTIONS;
  const pipelines: PipelineOutcome[] = [];
  let stageNumber = 0;
  entries.forEach(({ document, pipeline }, index) => {
    if (!isDockerType(pipeline)) return;
    const skipReason = mismatches[index] ?? null;
    const runs = skipReason === null;
    const dependsOn = effectiveDependencies(vertices, pipeline.name);
    const flags = pipelineStatusFlags(pipeline.trigger.status, budget);
    const info: StageInfo = {
      name: stageName(pipeline),
      number: runs ? ++stageNumber : 0,
      kind: 'pipeline',
      type: 'docker',
      os: pipeline.platform.os || 'linux',
      arch: pipeline.platform.arch || 'amd64',
      variant: pipeline.platform.variant,
      rowVersion: 0,
      dependsOn,
      started: 0,
      finished: 0,
      failedSteps: [],
    };
    const decisions = {
      number: info.number,
      dependsOn,
      ...flags,
      initialStatus:
        options.signatureVerified === false
          ? ('blocked' as const)
          : dependsOn.length === 0
            ? ('pending' as const)
            : ('waiting_on_dependencies' as const),
    };
    const stageProblems = problems.filter(
      (problem) => problem.document === document.index && problem.severity === 'error',
    );
    const resolved = substituted.pipeline(info.name, substitutionLookup(context, info));
    const source = 'error' in resolved ? pipeline : resolved.entry.pipeline;
    const stage = compileStage(source, context, info, decisions, compileOptions, budget);
    const substitutionErrors =
      'error' in resolved ? [] : resolved.problems.filter((problem) => problem.severity === 'error');
    const firstError = stageProblems[0] ?? substitutionErrors[0];
    stage.error =
      'error' in resolved ? resolved.error : firstError === undefined ? null : located(file, firstError);
    const excluded = new Map<string, string>();
    const declared = new Map([...source.services, ...source.steps].map((step) => [step.name, step]));
    for (const step of stage.steps) {
      const when = step.runPolicy === 'never' ? declared.get(step.name)?.when : undefined;
      const reason = when === undefined ? undefined : stepRunPolicy(when, context, budget).reason;
      if (reason !== undefined) excluded.set(step.name, reason);
    }
    pipelines.push({ name: info.name, runs, skipReason, stage, pipeline: source, excluded });
  });

  return {
    plan: {
      stages: pipelines.filter((outcome) => outcome.runs).map((outcome) => outcome.stage),
      fileSecrets: fileSecrets(file),
    },
    pipelines,
    ignored,
    problems,
    error: null,
    readsChangedPaths:
      entries.some(({ pipeline }) => isDockerType(pipeline) && !isEmptyCondition(pipeline.trigger.paths)) ||
      pipelines.some(({ pipeline }) =>
        [...pipeline.services, ...pipeline.steps].some((step) => !isEmptyCondition(step.when.paths)),
      ),
  };
}
