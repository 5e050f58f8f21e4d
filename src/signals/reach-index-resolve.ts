/**
 * Resolving an advisory's symbol names against a graph's symbols
 * (docs/reachability.md "OSV"). Advisories name functions loosely — Go's
 * vulndb as (import path, `Type.Method`), RustSec as `crate::module::fn`,
 * others as a bare or a dotted name — while graphs carry full ids such as
 * `sym:go:golang.org/x/net/html.Parse` or `sym:java:com.acme.Util.parse(java.lang.String)`.
 * A graph symbol matches when, with a trailing parameter list removed, it
 * ends with `<sep><path><sep2><name>` (or `<sep><name>` without a path),
 * the separators being those of the languages above.
 */

const SEP_END = /[:/.#!]$/; // sep: `:` `/` `.` `#` `!` (`::` ends with `:`), or the start

/** `s` without the parameter list `(...)` it ends with, if any (nested parentheses balanced). */
export function stripParams(s: string): string {
  if (!s.endsWith(')')) return s;
  let depth = 0;
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i);
    if (c === 0x29) depth++;
    else if (c === 0x28 && --depth === 0) return s.slice(0, i);
  }
  return s;
}

/** What follows the last separator character (the whole string when there is none). */
function tailOf(s: string): string {
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i);
    if (c === 0x3a || c === 0x2f || c === 0x2e || c === 0x23 || c === 0x21) return s.slice(i + 1);
  }
  return s;
}

/** Whether a graph symbol, its parameter list removed (`stripped`), is `(path, name)`. */
export function symbolMatches(stripped: string, name: string, path?: string): boolean {
  if (name === '' || !stripped.endsWith(name)) return false;
  let pre = stripped.slice(0, stripped.length - name.length);
  if (path !== undefined && path !== '') {
    // sep2: `.` `#` `/` `::` `!`
    if (pre.endsWith('::')) pre = pre.slice(0, -2);
    else if (/[.#/!]$/.test(pre)) pre = pre.slice(0, -1);
    else return false;
    if (!pre.endsWith(path)) return false;
    pre = pre.slice(0, pre.length - path.length);
  }
  return pre === '' || SEP_END.test(pre);
}

/**
 * Graph symbols grouped by their last segment (after the parameter list is
 * removed): a matching symbol ends with `name`, so its last segment is
 * `name`'s, and a lookup only checks the few symbols that share it instead
 * of every symbol of the graph.
 */
export class SymbolTails {
  private readonly byTail = new Map<string, { symbol: string; stripped: string }[]>();
  readonly bytes: number;

  constructor(symbols: Iterable<string>) {
    let count = 0;
    for (const symbol of symbols) {
      const stripped = stripParams(symbol);
      const tail = tailOf(stripped);
      const list = this.byTail.get(tail);
      if (list === undefined) this.byTail.set(tail, [{ symbol, stripped }]);
      else list.push({ symbol, stripped });
      count++;
    }
    // Per symbol: a small object and its slot (~48 bytes), a sliced string (~24); per tail: a Map entry and an array (~80).
    this.bytes = 72 * count + 80 * this.byTail.size;
  }

  candidates(tail: string): readonly { symbol: string; stripped: string }[] {
    return this.byTail.get(tail) ?? [];
  }
}

/** The graph symbols `(path, name)` resolves to through `tails`, sorted unique. */
export function resolveSymbol(tails: SymbolTails, name: string, path?: string): string[] {
  const out = new Set<string>();
  for (const c of tails.candidates(tailOf(name))) {
    if (symbolMatches(c.stripped, name, path)) out.add(c.symbol);
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
