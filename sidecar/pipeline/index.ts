/**
 * pipeline/: `.drone.yml` files read, checked, matched and compiled exactly as Drone does, as pure functions.
 *
 *   const file = parsePipelineFile(bytes, { fileName: '.drone.yml' });
 *   const problems = lintPipelineFile(file, { trusted });        // parse + lint problems, sorted
 *   const result = planPipelines(file, context);                 // result.plan is what the runner executes
 *
 * Bad input never throws: it becomes problems (and `result.error` for an errored build). Planning is bounded:
 * pusher-supplied strings have caps (context-limits.ts) and every match spends from one budget of steps
 * (match-budget.ts), past which the plan is one problem, "planning took too long; simplify the conditions".
 */

export {
  type CompileOptions,
  compileStage,
  DEFAULT_COMPILE_OPTIONS,
  type StageDecisions,
  stepEnvironment,
} from './compile.ts';
export { conditionMatches, pipelineStatusFlags, statusRunPolicy, stepRunPolicy } from './conditions.ts';
export type { BuildContextInput } from './context.ts';
export { actionFor, createBuildContext, refFor } from './context.ts';
export { MAX_CHANGED_PATHS, MAX_NAME_CHARS, MAX_REF_CHARS, MAX_TEXT_CHARS } from './context-limits.ts';
export type {
  Condition,
  Conditions,
  ParsedDocument,
  Pipeline,
  Resource,
  Step,
} from './document.ts';
export { buildEnvironment, type StageInfo, substitutionVariables } from './environment.ts';
export { globSyntaxError, matchGlob } from './glob.ts';
export { expandImage } from './image.ts';
export { type LintOptions, lintPipelineFile } from './lint.ts';
export {
  createMatchBudget,
  MATCH_STEP_LIMIT,
  type MatchBudget,
  PLANNING_TOO_LONG,
  unlimitedBudget,
} from './match-budget.ts';
export { type ParsedFile, type ParseOptions, parsePipelineFile } from './parse.ts';
export {
  type PipelineOutcome,
  type PipelinePlan,
  type PlanOptions,
  planningTooLong,
  planPipelines,
} from './plan.ts';
export { type PlanSummary, renderPlanTree, summarizePlan } from './plan-summary.ts';
export { formatProblem, hasErrors, type Problem, type Severity, sortProblems } from './problems.ts';
export { posixScript } from './script.ts';
export { type SignatureCheck, signatureOf, verifySignature } from './signature.ts';
export { fileTooLarge, MAX_FILE_BYTES } from './source-text.ts';
export { type SubstitutionResult, substitute } from './substitute.ts';
