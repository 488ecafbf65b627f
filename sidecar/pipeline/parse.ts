/**
 * A `.drone.yml` into typed documents with positions: guards, Drone's line-based split, one YAML parse per
 * document, then typed reading. Never throws for bad input; everything wrong is in `problems`.
 */
import { parseDocument, type YAMLError } from 'yaml';
import type { ParsedDocument, Resource } from './document.ts';
import type { Problem } from './problems.ts';
import { sortProblems } from './problems.ts';
import { readResource } from './read-resource.ts';
import { SourceMap } from './source-map.ts';
import {
  decodeSource,
  excessiveFlowNesting,
  isLegacyFormat,
  MAX_DOCUMENTS,
  MAX_FLOW_DEPTH,
  type SourceDocument,
  splitDocuments,
} from './source-text.ts';
import { type NodeBudget, NodeBudgetExceeded, YamlReader } from './yaml-reader.ts';

export interface ParsedFile {
  fileName: string;
  /** The decoded text (byte order mark removed). */
  text: string;
  documents: ParsedDocument[];
  /** Problems found while reading: syntax, types, unknown keys. Lint adds the semantic ones. */
  problems: Problem[];
}

export interface ParseOptions {
  fileName: string;
}

/** The first syntax errors of a document say what is wrong; hundreds more would only bury them. */
const MAX_SYNTAX_ERRORS = 10;

/** Node visits allowed per file, aliases counted each time they are used: far above real files, far below a bomb. */
const NODE_BUDGET = 200_000;

const YAML_OPTIONS = { schema: 'failsafe', merge: true, prettyErrors: false, uniqueKeys: false } as const;

export function parsePipelineFile(source: string | Uint8Array, options: ParseOptions): ParsedFile {
  const decoded = decodeSource(source);
  if (!decoded.ok)
    return { fileName: options.fileName, text: '', documents: [], problems: [decoded.problem] };
  const text = decoded.text;
  const file: ParsedFile = { fileName: options.fileName, text, documents: [], problems: [] };
  if (isLegacyFormat(text)) {
    const line = text.slice(0, text.search(/^pipeline:/m)).split('\n').length;
    file.problems.push({
      severity: 'error',
      rule: 'legacy-format',
      message:
        'this is the Drone 0.8 format (pipeline: as a map); convert it to the 1.x format (kind: pipeline, steps:)',
      line,
      col: 1,
    });
    return file;
  }
  const split = splitDocuments(text);
  if (split.longLine !== null) {
    file.problems.push({
      severity: 'error',
      rule: 'line-too-long',
      message: 'line is longer than 64 KiB: Drone stops reading the file here and ignores the rest',
      line: split.longLine,
      col: 1,
    });
  }
  if (split.documents.length > MAX_DOCUMENTS) {
    file.problems.push({
      severity: 'error',
      rule: 'too-many-documents',
      message: `file has ${split.documents.length} documents; the limit is ${MAX_DOCUMENTS}`,
      line: 1,
      col: 1,
    });
    return file;
  }
  const budget: NodeBudget = { remaining: NODE_BUDGET };
  for (const [index, source] of split.documents.entries()) {
    const { document, problems } = parseSourceDocument(source, index, budget);
    file.documents.push(document);
    file.problems.push(...problems);
    if (budget.remaining < 0) break;
  }
  file.problems = sortProblems(file.problems);
  return file;
}

/** Parses one document's text; used again by planning after `${...}` substitution changed it. */
export function parseSourceDocument(
  source: SourceDocument,
  index: number,
  budget: NodeBudget = { remaining: NODE_BUDGET },
): { document: ParsedDocument; problems: Problem[] } {
  const sourceMap = new SourceMap(source.data, source.startLine);
  const invalid = (problems: Problem[], resource: Resource = { kind: 'invalid' }) => ({
    document: {
      index,
      data: source.data,
      startLine: source.startLine,
      resource,
      positionOf: () => sourceMap.position(0),
    },
    problems,
  });
  const at = (offset: number) => ({ ...sourceMap.position(offset), document: index });

  const deepAt = excessiveFlowNesting(source.data);
  if (deepAt !== -1) {
    return invalid([
      {
        severity: 'error',
        rule: 'too-deep',
        message: `[ ] / { } nested deeper than ${MAX_FLOW_DEPTH} levels`,
        ...at(deepAt),
      },
    ]);
  }
  const doc = parseDocument(source.data, YAML_OPTIONS);
  if (doc.errors.length > 0)
    return invalid(doc.errors.slice(0, MAX_SYNTAX_ERRORS).map((error) => syntaxProblem(error, at)));

  const reader = new YamlReader(doc, sourceMap, index, budget);
  let resource: Resource;
  try {
    resource = readResource(reader);
  } catch (error) {
    if (!(error instanceof NodeBudgetExceeded)) throw error;
    return invalid([
      {
        severity: 'error',
        rule: 'alias-bomb',
        message: `too many nodes once aliases are expanded (more than ${NODE_BUDGET}): refusing a likely alias bomb`,
        ...at(0),
      },
    ]);
  }
  return {
    document: {
      index,
      data: source.data,
      startLine: source.startLine,
      resource,
      positionOf: (path) => reader.positionOf(path),
    },
    problems: reader.problems,
  };
}

const SYNTAX_MESSAGES: Partial<Record<string, string>> = {
  TAB_AS_INDENT: 'tab characters cannot be used for indentation; use spaces',
  BAD_ALIAS: 'alias refers to an anchor that is not defined before it',
};

function syntaxProblem(
  error: YAMLError,
  at: (offset: number) => { line: number; col: number; document: number },
): Problem {
  const firstLine = error.message.split('\n')[0] ?? error.message;
  const message = /Maximum call stack/i.test(firstLine)
    ? 'YAML nested too deeply'
    : (SYNTAX_MESSAGES[error.code] ?? firstLine.replace(/ at line \d+, column \d+:?$/, ''));
  return { severity: 'error', rule: 'yaml-syntax', message, ...at(error.pos[0]) };
}
