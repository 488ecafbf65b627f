/**
 * What is wrong with a pipeline file, as values. Errors are what Drone itself rejects (the build or stage would
 * end in `error`) or what cannot work; warnings are accepted by Drone but almost certainly not what the author
 * meant (an unknown key is silently ignored, a pipeline type we do not run).
 */
export type Severity = 'error' | 'warning';

export interface Problem {
  severity: Severity;
  /** Short stable identifier of the check that produced it, e.g. `duplicate-step-name`. */
  rule: string;
  message: string;
  /** 1-based line and column in the file. */
  line: number;
  col: number;
  /** Where in the document, e.g. `steps[2].depends_on[0]`. */
  path?: string;
  /** 0-based index of the YAML document in the file. */
  document?: number;
}

export interface Position {
  line: number;
  col: number;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((problem) => problem.severity === 'error');
}

/** Stable order for display: by line, then column, errors before warnings at the same place. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) =>
      a.line - b.line ||
      a.col - b.col ||
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
      a.message.localeCompare(b.message),
  );
}

/** `FILE:LINE:COL: error|warning: message`, the format compilers and editors understand. */
export function formatProblem(fileName: string, problem: Problem): string {
  return `${fileName}:${problem.line}:${problem.col}: ${problem.severity}: ${problem.message}`;
}
