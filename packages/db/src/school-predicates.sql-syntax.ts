/**
 * SQL as the school-predicate check reads it (school-predicates.ts): tokens, with each parenthesised part as a
 * group of its own, and the pieces of a statement the check looks at (clauses, conjuncts, column references).
 * Not a parser of SQL: just enough of one for the statements the API sends.
 */

export type Token =
  /** A keyword or an unquoted identifier. */
  | { kind: 'word'; text: string }
  /** A quoted identifier: `name` or "name". */
  | { kind: 'name'; text: string }
  /** A parameter, a string or a number (with its digits, to tell the contradiction `1 = 0`). */
  | { kind: 'value'; number?: string }
  | { kind: 'comment'; text: string }
  | { kind: 'punct'; text: string };

export interface Group {
  kind: 'group';
  items: Item[];
}
export type Item = Token | Group;

/** Splits SQL into tokens, with each parenthesised part as a group of its own. */
export function parse(text: string): Item[] {
  const root: Group = { kind: 'group', items: [] };
  const stack: Group[] = [root];
  let i = 0;
  const push = (item: Item) => stack.at(-1)!.items.push(item);
  while (i < text.length) {
    const char = text[i]!;
    if (/\s/.test(char)) {
      i += 1;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end;
      push({ kind: 'comment', text: text.slice(i + 2, stop).trim() });
      i = stop + 2;
    } else if (text.startsWith('--', i)) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
    } else if (char === "'") {
      i += 1;
      while (i < text.length) {
        if (text[i] === '\\') i += 2;
        else if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") break;
        else i += 1;
      }
      i += 1;
      push({ kind: 'value' });
    } else if (char === '`' || char === '"') {
      let end = text.indexOf(char, i + 1);
      while (end !== -1 && text[end + 1] === char) end = text.indexOf(char, end + 2);
      const stop = end === -1 ? text.length : end;
      push({
        kind: 'name',
        text: text
          .slice(i + 1, stop)
          .split(char + char)
          .join(char)
          .toLowerCase(),
      });
      i = stop + 1;
    } else if (char === '?' || /\d/.test(char)) {
      const match = /^(\?|\d+(\.\d+)?(e[+-]?\d+)?)/i.exec(text.slice(i))!;
      push(match[0] === '?' ? { kind: 'value' } : { kind: 'value', number: match[0] });
      i += match[0].length;
    } else if (/[A-Za-z_$]/.test(char)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(text.slice(i))!;
      push({ kind: 'word', text: match[0].toLowerCase() });
      i += match[0].length;
    } else if (char === '(') {
      const group: Group = { kind: 'group', items: [] };
      push(group);
      stack.push(group);
      i += 1;
    } else if (char === ')') {
      if (stack.length > 1) stack.pop();
      i += 1;
    } else {
      const match = /^(<=>|<=|>=|<>|!=|\|\||::|.)/.exec(text.slice(i))!;
      push({ kind: 'punct', text: match[0] });
      i += match[0].length;
    }
  }
  return root.items;
}

export const isWord = (item: Item | undefined, ...words: string[]): boolean =>
  item !== undefined && item.kind === 'word' && words.includes(item.text);
export const isPunct = (item: Item | undefined, text: string): boolean =>
  item !== undefined && item.kind === 'punct' && item.text === text;
export const isGroup = (item: Item | undefined): item is Group => item !== undefined && item.kind === 'group';
/** A group that holds a query of its own: a subquery or a derived table. */
export const isQuery = (item: Item | undefined): boolean => {
  if (!isGroup(item)) return false;
  const first = item.items.find((inner) => inner.kind !== 'comment');
  return isWord(first, 'select', 'with') || (isGroup(first) && isQuery(first));
};
export const withoutComments = (items: Item[]) => items.filter((item) => item.kind !== 'comment');

export interface ColumnRef {
  qualifier: string | null;
  column: string;
}

export const CLAUSE_WORDS = [
  'from',
  'where',
  'group',
  'having',
  'order',
  'limit',
  'window',
  'for',
  'lock',
  'into',
  'offset',
];
export const JOIN_WORDS = ['join', 'inner', 'left', 'right', 'cross', 'natural', 'outer', 'straight_join', 'full'];

export function nameOf(item: Item | undefined): string | null {
  if (item === undefined) return null;
  if (item.kind === 'name') return item.text;
  if (item.kind === 'word') return item.text;
  return null;
}

export function isKeyword(word: string): boolean {
  return ['on', 'where', 'using', 'set', 'values', ...CLAUSE_WORDS, ...JOIN_WORDS].includes(word);
}

/** The clauses of a SELECT, by their first word, at its top level. */
export function splitClauses(items: Item[]): Map<string, Item[]> {
  const clauses = new Map<string, Item[]>();
  let current: Item[] = [];
  clauses.set('select', current);
  let started = false;
  for (const item of items) {
    if (!started && isWord(item, 'select')) {
      started = true;
    } else if (item.kind === 'word' && CLAUSE_WORDS.includes(item.text)) {
      current = [];
      if (!clauses.has(item.text)) clauses.set(item.text, current);
    } else {
      current.push(item);
    }
  }
  return clauses;
}

export function endOfWhere(items: Item[]): Item[] {
  const end = items.findIndex((item) => isWord(item, 'order', 'limit', 'returning'));
  return end === -1 ? items : items.slice(0, end);
}

/** The conjuncts of a condition: what must each hold for a row to be kept (none, where an OR is at the top). */
export function conjuncts(items: Item[]): Item[][] {
  const parts: Item[][] = [[]];
  let between = false;
  for (const item of items) {
    if (isWord(item, 'or')) return [];
    if (isWord(item, 'between')) between = true;
    if (isWord(item, 'and') && !between) {
      parts.push([]);
      continue;
    }
    if (isWord(item, 'and')) between = false;
    parts.at(-1)!.push(item);
  }
  return parts.flatMap((part) => {
    const meaningful = withoutComments(part);
    return meaningful.length === 1 && isGroup(meaningful[0]) && !isQuery(meaningful[0])
      ? conjuncts(meaningful[0].items)
      : [part];
  });
}

/** A column reference at `start`: `name` or `qualifier.name`, and where it ends. */
export function columnRef(items: Item[], start: number): { ref: ColumnRef; end: number } | null {
  const first = items[start];
  if (!first || (first.kind !== 'name' && first.kind !== 'word') || isGroup(items[start + 1])) return null;
  if (isPunct(items[start + 1], '.')) {
    const column = nameOf(items[start + 2]);
    return column === null ? null : { ref: { qualifier: nameOf(first), column }, end: start + 3 };
  }
  if (first.kind === 'word' && ['null', 'not', 'exists', 'true', 'false'].includes(first.text)) return null;
  return { ref: { qualifier: null, column: nameOf(first)! }, end: start + 1 };
}

export function isContradiction(parts: Item[]): boolean {
  const [left, operator, right] = parts;
  return (
    parts.length === 3 &&
    left?.kind === 'value' &&
    right?.kind === 'value' &&
    isPunct(operator, '=') &&
    left.number !== undefined &&
    right.number !== undefined &&
    Number(left.number) !== Number(right.number)
  );
}

export function isValueList(item: Item | undefined): boolean {
  if (!isGroup(item) || item.items.length === 0) return false;
  return withoutComments(item.items).every((inner) => inner.kind === 'value' || isPunct(inner, ','));
}
