/**
 * A `.drone.yml` into typed documents with positions: guards, Drone's line-based split, one YAML parse per
 * document, then typed reading. Never throws for bad input; everything wrong is in `problems`.
 */
import { type Document, parseDocument, type YAMLError } from 'yaml';
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
  const read = readTree(doc, source, index, sourceMap, budget);
  // Only text with `$` or `\` can change under substitution, which then rewrites this tree (substitute-in-place.ts).
  if (read.document.resource.kind !== 'invalid' && /[$\\]/.test(source.data))
    parsedTrees.set(read.document, doc);
  return read;
}

/** The YAML tree a document was read from, kept for documents that `${...}` substitution may change. */
const parsedTrees = new WeakMap<ParsedDocument, Document.Parsed>();

export function parsedTree(document: ParsedDocument): Document.Parsed | undefined {
  return parsedTrees.get(document);
}

/**
 * Typed reading of a parsed tree into the document `source` (its index in the file is `index`); positions
 * come from `positions`, which is the text the tree was parsed from.
 */
export function readTree(
  doc: Document.Parsed,
  source: SourceDocument,
  index: number,
  positions: SourceMap,
  budget: NodeBudget = { remaining: NODE_BUDGET },
): { document: ParsedDocument; problems: Problem[] } {
  const document = (resource: Resource, positionOf: ParsedDocument['positionOf']): ParsedDocument => ({
    index,
    data: source.data,
    startLine: source.startLine,
    resource,
    positionOf,
  });
  const reader = new YamlReader(doc, positions, index, budget);
  let resource: Resource;
  try {
    resource = readResource(reader);
  } catch (error) {
    if (!(error instanceof NodeBudgetExceeded)) throw error;
    return {
      document: document({ kind: 'invalid' }, () => positions.position(0)),
      problems: [
        {
          severity: 'error',
          rule: 'alias-bomb',
          message: `too many nodes once aliases are expanded (more than ${NODE_BUDGET}): refusing a likely alias bomb`,
          ...positions.position(0),
          document: index,
        },
      ],
    };
  }
  return { document: document(resource, (path) => reader.positionOf(path)), problems: reader.problems };
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
