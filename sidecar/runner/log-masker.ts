/**
 * Secret masking for logs and error messages: every occurrence of every form of a secret ({@link secretForms})
 * becomes `******`. Occurrences that overlap or touch become one mask, so that no character of any occurrence is
 * left, whichever pattern matched first.
 *
 * Output is masked per stream, before it is split into lines: a value printed across several writes (or across
 * lines, for a multi-line value) is still one occurrence. A stream holds back the shortest tail that could still
 * become an occurrence, and masks that tail when the stream ends, so that a cut (the log cap, a broken attach
 * stream) never stores the first characters of a secret.
 */
import { secretForms } from './secret-forms.ts';

const MASK = '******';

/** One stream of output: text in, masked text out, in order. */
export interface StreamMasker {
  /** The masked text that can no longer be part of an occurrence; the rest is held back for the next push. */
  push(text: string): string;
  /** What was held back, masked; a held-back tail (the start of a possible occurrence) is masked too. */
  end(): string;
}

export interface Masker {
  /** A whole text (an error message, a line the runner writes) with every occurrence masked. */
  mask(text: string): string;
  /** A masker for one output stream (stdout or stderr of one step). */
  stream(): StreamMasker;
}

const PASS_THROUGH: Masker = {
  mask: (text) => text,
  stream: () => ({ push: (text) => text, end: () => '' }),
};

export function createMasker(secretValues: Iterable<string>): Masker {
  const forms = secretForms(secretValues);
  if (forms.length === 0) return PASS_THROUGH;
  // Longest first: at each position the longest form that starts there is the one found.
  forms.sort((a, b) => b.length - a.length);
  const pattern = new RegExp(forms.map((form) => form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const prefixes = createPrefixAutomaton(forms);

  /**
   * `text` up to `until` with the union of all occurrences that start before `until` masked. `covered`: the first
   * characters of `text` already lie under a mask written out before (a run of occurrences reaching past the end
   * of the previous piece), so they are not written again and an occurrence touching them joins that mask.
   * Returns how many characters past `until` the last mask covers: the next piece starts at `until` with those
   * as its `covered`. So a stream never holds more than the longest form, however long a run of occurrences is.
   */
  function masked(text: string, until: number, covered = 0): { text: string; covered: number } {
    let out = '';
    let emitted = 0;
    let runStart = covered > 0 ? 0 : -1;
    let runEnd = covered > 0 ? covered : -1;
    let runWritten = covered > 0;
    const close = () => {
      out += text.slice(emitted, runStart) + (runWritten ? '' : MASK);
      emitted = runEnd;
    };
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const start = match.index;
      const stop = start + match[0].length;
      // Every start is visited (overlapping occurrences), not only those after the previous occurrence.
      pattern.lastIndex = start + 1;
      if (start >= until) break;
      if (runStart >= 0 && start <= runEnd) runEnd = Math.max(runEnd, stop);
      else {
        if (runStart >= 0) close();
        runStart = start;
        runEnd = stop;
        runWritten = false;
      }
    }
    if (runStart >= 0) close();
    return {
      text: out + text.slice(emitted, Math.max(emitted, until)),
      covered: Math.max(0, emitted - until),
    };
  }

  return {
    mask: (text) => masked(text, text.length).text,
    stream() {
      let held = '';
      let covered = 0;
      return {
        push(text) {
          const data = held + text;
          const until = data.length - prefixes.heldLength(data);
          const result = masked(data, until, covered);
          held = data.slice(until);
          covered = result.covered;
          return result.text;
        },
        end() {
          const data = held;
          const until = data.length - prefixes.heldLength(data);
          const result = masked(data, until, covered);
          held = '';
          covered = 0;
          // A held-back tail could start a secret: it is masked, as part of the last mask when it touches it.
          return until < data.length && result.covered === 0 ? result.text + MASK : result.text;
        },
      };
    },
  };
}

/**
 * An Aho-Corasick automaton over the forms, used for one question: how long is the longest suffix of a text that
 * is the start of a form? That suffix, at most as long as the longest form, is what a stream must hold back.
 * Reading only the last `longest` characters answers it in time linear in the forms, whatever the text.
 * Most nodes of a trie of long strings have one child, kept in two arrays; a map holds the others.
 */
function createPrefixAutomaton(forms: readonly string[]) {
  const onlyCode = [-1];
  const onlyChild = [0];
  const more: (Map<number, number> | undefined)[] = [undefined];
  const depth = [0];
  const fail = [0];
  const childOf = (node: number, code: number): number | undefined =>
    onlyCode[node] === code ? onlyChild[node] : more[node]?.get(code);
  for (const form of forms) {
    let node = 0;
    for (let index = 0; index < form.length; index++) {
      const code = form.charCodeAt(index);
      let next = childOf(node, code);
      if (next === undefined) {
        next = depth.length;
        onlyCode.push(-1);
        onlyChild.push(0);
        more.push(undefined);
        depth.push(index + 1);
        fail.push(0);
        if (onlyCode[node] === -1) {
          onlyCode[node] = code;
          onlyChild[node] = next;
        } else {
          let map = more[node];
          if (map === undefined) {
            map = new Map();
            more[node] = map;
          }
          map.set(code, next);
        }
      }
      node = next;
    }
  }
  const step = (from: number, code: number): number => {
    let node = from;
    for (;;) {
      const next = childOf(node, code);
      if (next !== undefined) return next;
      if (node === 0) return 0;
      node = fail[node] ?? 0;
    }
  };
  // Failure links breadth first: a node's link is the longest proper suffix of its text that is in the trie.
  // `held` of a node: the depth of the deepest node on its failure chain that some form continues (a whole form
  // that no longer form extends needs no holding back: it is masked at once).
  const held = [0];
  const queue = [0];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] ?? 0;
    const children: [number, number][] = [];
    if ((onlyCode[node] ?? -1) !== -1) children.push([onlyCode[node] ?? 0, onlyChild[node] ?? 0]);
    for (const entry of more[node] ?? []) children.push(entry);
    held[node] = children.length > 0 ? (depth[node] ?? 0) : (held[fail[node] ?? 0] ?? 0);
    for (const [code, child] of children) {
      fail[child] = node === 0 ? 0 : step(fail[node] ?? 0, code);
      queue.push(child);
    }
  }
  const longest = forms.reduce((max, form) => Math.max(max, form.length), 0);
  return {
    heldLength(text: string): number {
      let node = 0;
      for (let index = Math.max(0, text.length - longest); index < text.length; index++) {
        node = step(node, text.charCodeAt(index));
      }
      return held[node] ?? 0;
    },
  };
}
