/**
 * Reads typed values out of a parsed YAML document the way go-yaml v2 decodes into Drone's Go structs, and
 * records where each path sits so that later checks can point at it. Problems are collected, never thrown;
 * the one exception is an exhausted node budget (an alias bomb), which aborts the document.
 */
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Scalar,
  visit,
  type YAMLMap,
} from 'yaml';
import type { YamlData } from './document.ts';
import type { Position, Problem, Severity } from './problems.ts';
import type { SourceMap } from './source-map.ts';
import { isNullScalar, parseRamInBytes, resolvePlainScalar } from './yaml-scalars.ts';

/** Deepest nesting read inside free-form values (plugin settings); real files stay under ten. */
export const MAX_VALUE_DEPTH = 64;

/** Shared by all documents of a file: how many more nodes may be visited, aliases counted at every use. */
export interface NodeBudget {
  remaining: number;
}

/** Thrown when the budget runs out; caught per document, which then counts as invalid. */
export class NodeBudgetExceeded extends Error {}

export interface Entry {
  key: string;
  /** Already resolved through aliases. */
  value: Node | null;
  path: string;
}

const STR_TAG = 'tag:yaml.org,2002:str';

export class YamlReader {
  readonly problems: Problem[] = [];
  readonly #offsets = new Map<string, number>();
  readonly #doc: Document.Parsed;
  readonly #sourceMap: SourceMap;
  readonly #documentIndex: number;
  readonly #budget: NodeBudget;
  #aliasTargets: Map<Node, Node | undefined> | null = null;
  readonly #unknownAliases = new Set<unknown>();

  constructor(doc: Document.Parsed, sourceMap: SourceMap, documentIndex: number, budget: NodeBudget) {
    this.#doc = doc;
    this.#sourceMap = sourceMap;
    this.#documentIndex = documentIndex;
    this.#budget = budget;
  }

  get root(): Node | null {
    return this.resolve(this.#doc.contents);
  }

  /** Position of `path`, or of its nearest recorded ancestor (the document start at worst). */
  positionOf(path: string): Position {
    let current = path;
    for (;;) {
      const offset = this.#offsets.get(current);
      if (offset !== undefined) return this.#sourceMap.position(offset);
      if (current === '') return this.#sourceMap.position(0);
      current = current.slice(0, Math.max(current.lastIndexOf('.'), current.lastIndexOf('['), 0));
    }
  }

  report(severity: Severity, rule: string, message: string, path: string, node?: unknown): void {
    const position =
      node !== undefined && hasRange(node) ? this.#sourceMap.position(node.range[0]) : this.positionOf(path);
    this.problems.push({ severity, rule, message, ...position, path, document: this.#documentIndex });
  }

  /** Follows aliases; charges the budget for every node reached. An alias without its anchor is an error. */
  resolve(node: unknown): Node | null {
    this.#charge();
    let current = node;
    for (let hops = 0; isAlias(current); hops++) {
      if (hops > 16) return null;
      this.#charge();
      const target = this.#aliasTarget(current as Node);
      if (target === undefined && !this.#unknownAliases.has(current)) {
        this.#unknownAliases.add(current);
        this.report(
          'error',
          'yaml-syntax',
          `unknown anchor "${current.source}": an anchor must be defined before the aliases that use it`,
          '',
          current,
        );
      }
      current = target;
    }
    return current === undefined || current === null ? null : (current as Node);
  }

  /**
   * Entries of a mapping after merge keys, in go-yaml v2 order: pairs apply in sequence, a `<<` merge writes its
   * source's entries at that point (a list of sources applies last to first, so the first wins), later
   * explicit keys overwrite. Null when the node is not a mapping (the caller reports the type).
   */
  entries(node: Node | null, path: string): Map<string, Entry> | null {
    if (!isMap(node)) return null;
    const out = new Map<string, Entry>();
    this.#collect(node, path, out, 0);
    return out;
  }

  #collect(map: YAMLMap, path: string, out: Map<string, Entry>, depth: number): void {
    if (depth > 8) {
      this.report('error', 'yaml-merge', 'merge keys nested too deeply', path);
      return;
    }
    const written = new Map<string, unknown>();
    for (const pair of map.items) {
      this.#charge();
      const key = pair.key;
      if (isScalar(key) && key.type === 'PLAIN' && key.source === '<<') {
        this.#merge(pair.value, path, out, depth);
        continue;
      }
      const resolvedKey = this.resolve(key);
      if (!isScalar(resolvedKey)) {
        this.report('error', 'yaml-key', 'mapping keys must be plain text', path, key);
        continue;
      }
      const name = scalarText(resolvedKey);
      const entryPath = path === '' ? name : `${path}.${name}`;
      const earlier = written.get(name);
      if (earlier !== undefined && depth === 0) {
        const first = hasRange(earlier) ? this.#sourceMap.position(earlier.range[0]).line : 0;
        this.report(
          'warning',
          'duplicate-key',
          `duplicate key "${name}": Drone keeps this one and ignores the one on line ${first}`,
          entryPath,
          key,
        );
      }
      written.set(name, key);
      if (hasRange(key)) this.#offsets.set(entryPath, key.range[0]);
      out.set(name, { key: name, value: this.resolve(pair.value), path: entryPath });
    }
  }

  #merge(source: unknown, path: string, out: Map<string, Entry>, depth: number): void {
    const resolved = this.resolve(source);
    if (isMap(resolved)) {
      this.#collect(resolved, path, out, depth + 1);
      return;
    }
    if (isSeq(resolved)) {
      for (let index = resolved.items.length - 1; index >= 0; index--) {
        const item = this.resolve(resolved.items[index]);
        if (isMap(item)) this.#collect(item, path, out, depth + 1);
        else
          this.report(
            'error',
            'yaml-merge',
            'a merge key (<<) needs a mapping or a list of mappings',
            path,
            source,
          );
      }
      return;
    }
    this.report(
      'error',
      'yaml-merge',
      'a merge key (<<) needs a mapping or a list of mappings',
      path,
      source,
    );
  }

  /** Items of a list with their paths; null when the node is not a list. */
  items(node: Node | null, path: string): { value: Node | null; path: string }[] | null {
    if (!isSeq(node)) return null;
    return node.items.map((item, index) => {
      const itemPath = `${path}[${index}]`;
      if (hasRange(item)) this.#offsets.set(itemPath, item.range[0]);
      return { value: this.resolve(item), path: itemPath };
    });
  }

  /** A string field: any scalar keeps its source text, null is ''. */
  string(node: Node | null, path: string, field: string): string {
    if (node === null) return '';
    if (isScalar(node)) return isNullNode(node) ? '' : scalarText(node);
    this.report('error', 'wrong-type', `${field} must be a string, not ${describe(node)}`, path, node);
    return '';
  }

  bool(node: Node | null, path: string, field: string): boolean {
    if (node === null) return false;
    const data = isScalar(node) ? scalarData(node) : null;
    if (data?.type === 'bool') return data.value;
    if (data?.type === 'null') return false;
    this.report('error', 'wrong-type', `${field} must be true or false, not ${describe(node)}`, path, node);
    return false;
  }

  int(node: Node | null, path: string, field: string): number {
    if (node === null) return 0;
    const data = isScalar(node) ? scalarData(node) : null;
    if (data?.type === 'int') return Number(data.value);
    if (data?.type === 'float' && Number.isFinite(data.value)) return Math.trunc(data.value);
    if (data?.type === 'null') return 0;
    this.report('error', 'wrong-type', `${field} must be a whole number, not ${describe(node)}`, path, node);
    return 0;
  }

  /** Byte sizes: a number, or text such as `512m` or `1GiB`. */
  bytes(node: Node | null, path: string, field: string): number {
    if (node === null) return 0;
    if (isScalar(node)) {
      const data = scalarData(node);
      if (data.type === 'int') return Number(data.value);
      if (data.type === 'float' && Number.isFinite(data.value)) return Math.trunc(data.value);
      if (data.type === 'null') return 0;
      const parsed = parseRamInBytes(scalarText(node));
      if (parsed !== null) return parsed;
      this.report('error', 'wrong-type', `${field} must be a size such as 512m or 1GiB`, path, node);
      return 0;
    }
    this.report(
      'error',
      'wrong-type',
      `${field} must be a size such as 512m or 1GiB, not ${describe(node)}`,
      path,
      node,
    );
    return 0;
  }

  /** A list of strings; a null item becomes '' as in Go. */
  stringList(node: Node | null, path: string, field: string): string[] {
    if (node === null) return [];
    const items = this.items(node, path);
    if (items === null) {
      if (isScalar(node) && isNullNode(node)) return [];
      this.report(
        'error',
        'wrong-type',
        `${field} must be a list of strings, not ${describe(node)}`,
        path,
        node,
      );
      return [];
    }
    return items.map((item) => this.string(item.value, item.path, `${field} items`));
  }

  stringMap(node: Node | null, path: string, field: string): Map<string, string> {
    const out = new Map<string, string>();
    if (node === null || (isScalar(node) && isNullNode(node))) return out;
    const entries = this.entries(node, path);
    if (entries === null) {
      this.report('error', 'wrong-type', `${field} must be a mapping, not ${describe(node)}`, path, node);
      return out;
    }
    for (const entry of entries.values()) {
      out.set(entry.key, this.string(entry.value, entry.path, `${field}.${entry.key}`));
    }
    return out;
  }

  /** Free-form data with YAML 1.1 types (plugin settings). */
  data(node: Node | null, path: string, depth = 0): YamlData {
    if (node === null) return { type: 'null' };
    if (depth > MAX_VALUE_DEPTH) {
      this.report('error', 'too-deep', `value nested deeper than ${MAX_VALUE_DEPTH} levels`, path, node);
      return { type: 'null' };
    }
    if (isScalar(node)) return scalarData(node);
    if (isSeq(node)) {
      const items = this.items(node, path) ?? [];
      return { type: 'seq', items: items.map((item) => this.data(item.value, item.path, depth + 1)) };
    }
    const entries = this.entries(node, path);
    if (entries === null) return { type: 'null' };
    return {
      type: 'map',
      entries: [...entries.values()].map((entry) => [
        entry.key,
        this.data(entry.value, entry.path, depth + 1),
      ]),
    };
  }

  /** Warns about keys Drone does not read (it ignores them silently). */
  unknownKeys(entries: Map<string, Entry>, known: ReadonlySet<string>, what: string): void {
    for (const entry of entries.values()) {
      if (!known.has(entry.key)) {
        this.report(
          'warning',
          'unknown-key',
          `unknown key "${entry.key}" in ${what}; Drone ignores it`,
          entry.path,
        );
      }
    }
  }

  #charge(): void {
    this.#budget.remaining--;
    if (this.#budget.remaining < 0) throw new NodeBudgetExceeded();
  }

  #aliasTarget(alias: Node): Node | undefined {
    if (this.#aliasTargets === null) {
      const targets = new Map<Node, Node | undefined>();
      const anchors = new Map<string, Node>();
      visit(this.#doc, {
        Node: (_key, node) => {
          if (isAlias(node)) targets.set(node, anchors.get(node.source));
          else if (node.anchor) anchors.set(node.anchor, node);
        },
      });
      this.#aliasTargets = targets;
    }
    return this.#aliasTargets.get(alias);
  }
}

function hasRange(node: unknown): node is { range: [number, number, number] } {
  return typeof node === 'object' && node !== null && Array.isArray((node as { range?: unknown }).range);
}

/** What go-yaml decodes into a Go string: the scalar's text (quoted scalars unescaped). */
export function scalarText(node: Scalar): string {
  return node.source ?? String(node.value ?? '');
}

function isNullNode(node: Scalar): boolean {
  return node.type === 'PLAIN' && node.tag !== STR_TAG && isNullScalar(scalarText(node));
}

export function scalarData(node: Scalar): YamlData {
  const text = scalarText(node);
  if (node.type !== 'PLAIN' || node.tag === STR_TAG) return { type: 'string', value: text };
  return resolvePlainScalar(text);
}

export function describe(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const data = scalarData(node);
    if (data.type === 'bool') return 'a boolean';
    if (data.type === 'int' || data.type === 'float') return 'a number';
    if (data.type === 'null') return 'null';
    return 'a string';
  }
  return 'an unsupported value';
}
