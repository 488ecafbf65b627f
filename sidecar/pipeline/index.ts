/**
 * pipeline/: `.drone.yml` files read, checked, matched and compiled exactly as Drone does, as pure functions.
 *
 *   const file = parsePipelineFile(bytes, { fileName: '.drone.yml' });
 *   const problems = lintPipelineFile(file, { trusted });        // parse + lint problems, sorted
 *   const result = planPipelines(file, context);                 // result.plan is what the runner executes
 *
 * Bad input never throws: it becomes problems (and `result.error` for an errored build).
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
export { type ParsedFile, type ParseOptions, parsePipelineFile } from './parse.ts';
export { type PipelineOutcome, type PipelinePlan, type PlanOptions, planPipelines } from './plan.ts';
export { type PlanSummary, renderPlanTree, summarizePlan } from './plan-summary.ts';
export { formatProblem, hasErrors, type Problem, type Severity, sortProblems } from './problems.ts';
export { posixScript } from './script.ts';
export { type SignatureCheck, signatureOf, verifySignature } from './signature.ts';
export { fileTooLarge, MAX_FILE_BYTES } from './source-text.ts';
export { type SubstitutionResult, substitute } from './substitute.ts';
