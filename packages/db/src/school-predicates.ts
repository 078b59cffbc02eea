/**
 * Whether a SQL statement names the school of every tenant table it touches: the rule that lets Vitess route a
 * statement to one school's shard instead of scattering it to all (docs/SCALING.md, section 4).
 *
 * The check reads the SQL the API sent, as text, so that raw `sql` fragments are held to it as much as the
 * query builder's output. A tenant table (SCHOOL_COLUMN) is anchored in its SELECT, UPDATE or DELETE when a
 * conjunct of its WHERE or ON clauses (never one side of an OR)
 * - compares its school column with values: `school_id = ?`, `school_id in (?, ?)`, `school_id is null`
 *   (district entries of the audit log); or
 * - equates it with the school column of a table already anchored: one in the same statement
 *   (`pupil.school_id = own.school_id`), the statement around a subquery, or a derived table whose own query is
 *   anchored (`alerts.school_id = page.page_school_id`).
 * An INSERT into a tenant table must give the school column a value. Subqueries and derived tables are held to
 * the same rule, each in its own scope.
 *
 * A district-wide read (a district admin's list, archival) says so with a comment in its scope,
 * `/* district-wide: <reason> *\/`, and the reason must be on the reviewed list the caller passes: such a
 * statement goes to every shard, on purpose.
 */
import { SCHOOL_COLUMN } from './shard-key.ts';

type Token =
  /** A keyword or an unquoted identifier. */
  | { kind: 'word'; text: string }
  /** A quoted identifier: `name` or "name". */
  | { kind: 'name'; text: string }
  /** A parameter, a string or a number (with its digits, to tell the contradiction `1 = 0`). */
  | { kind: 'value'; number?: string }
  | { kind: 'comment'; text: string }
  | { kind: 'punct'; text: string };

interface Group {
  kind: 'group';
  items: Item[];
}
type Item = Token | Group;

const DISTRICT_WIDE = /^district-wide:\s*([a-z0-9-]+)\s*$/;

/** Splits SQL into tokens, with each parenthesised part as a group of its own. */
function parse(text: string): Item[] {
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

const isWord = (item: Item | undefined, ...words: string[]): boolean =>
  item !== undefined && item.kind === 'word' && words.includes(item.text);
const isPunct = (item: Item | undefined, text: string): boolean =>
  item !== undefined && item.kind === 'punct' && item.text === text;
const isGroup = (item: Item | undefined): item is Group => item !== undefined && item.kind === 'group';
/** A group that holds a query of its own: a subquery or a derived table. */
const isQuery = (item: Item | undefined): boolean => {
  if (!isGroup(item)) return false;
  const first = item.items.find((inner) => inner.kind !== 'comment');
  return isWord(first, 'select', 'with') || (isGroup(first) && isQuery(first));
};
const withoutComments = (items: Item[]) => items.filter((item) => item.kind !== 'comment');

/** A table or derived table in a FROM clause, an UPDATE or a DELETE. */
interface Source {
  alias: string;
  /** The table's name, or null for a derived table. */
  table: string | null;
  /** The column that names the school (`school_id`); null for the district's own tables. */
  schoolColumn: string | null;
  /** A derived table: the names of its columns that carry an anchored school. */
  derivedSchoolColumns: Set<string> | null;
  anchored: boolean;
}

interface Scope {
  sources: Source[];
  outer: Scope | null;
}

interface ColumnRef {
  qualifier: string | null;
  column: string;
}

/** What a query yields to the query around it: whether it is anchored, and which columns carry the school. */
interface QueryResult {
  anchored: boolean;
  schoolColumns: Set<string>;
}

const CLAUSE_WORDS = ['from', 'where', 'group', 'having', 'order', 'limit', 'window', 'for', 'lock', 'into', 'offset'];
const JOIN_WORDS = ['join', 'inner', 'left', 'right', 'cross', 'natural', 'outer', 'straight_join', 'full'];

function nameOf(item: Item | undefined): string | null {
  if (item === undefined) return null;
  if (item.kind === 'name') return item.text;
  if (item.kind === 'word') return item.text;
  return null;
}

class Checker {
  readonly problems: string[] = [];

  constructor(private readonly reasons: ReadonlySet<string>) {}

  statement(items: Item[]): void {
    const first = withoutComments(items)[0];
    if (isWord(first, 'select', 'with') || isGroup(first)) this.query(items, null);
    else if (isWord(first, 'insert', 'replace')) this.insert(items);
    else if (isWord(first, 'update')) this.update(items);
    else if (isWord(first, 'delete')) this.delete(items);
    // Anything else (begin, commit, set, savepoint, show) touches no table's rows.
  }

  /** A query: CTEs, then branches joined by UNION, each a SELECT or a parenthesised query. */
  private query(items: Item[], outer: Scope | null): QueryResult {
    let rest = items;
    const ctes: Source[] = [];
    if (isWord(withoutComments(rest)[0], 'with')) {
      rest = withoutComments(rest).slice(1);
      if (isWord(rest[0], 'recursive')) rest = rest.slice(1);
      while (rest.length > 2 && isWord(rest[1], 'as') && isQuery(rest[2])) {
        const result = this.query((rest[2] as Group).items, outer);
        ctes.push(derivedSource(nameOf(rest[0]) ?? '', result));
        rest = rest.slice(3);
        if (isPunct(rest[0], ',')) rest = rest.slice(1);
      }
    }
    const branches: Item[][] = [[]];
    for (const item of rest) {
      if (isWord(item, 'union', 'intersect', 'except')) branches.push([]);
      else if (!(isWord(item, 'all', 'distinct') && branches.at(-1)!.length === 0)) branches.at(-1)!.push(item);
    }
    let anchored = true;
    let schoolColumns: Set<string> | null = null;
    for (const branch of branches) {
      const meaningful = withoutComments(branch);
      const result =
        meaningful.length >= 1 && isQuery(meaningful[0])
          ? this.query((meaningful[0] as Group).items, outer)
          : this.select(branch, outer, ctes);
      anchored &&= result.anchored;
      schoolColumns ??= result.schoolColumns;
    }
    return { anchored, schoolColumns: schoolColumns ?? new Set() };
  }

  private select(items: Item[], outer: Scope | null, ctes: Source[]): QueryResult {
    const clauses = splitClauses(items);
    const scope: Scope = { sources: [], outer };
    const consumed = new Set<Item>();
    const conditions: Item[][] = [];
    const from = clauses.get('from');
    if (from) this.sources(from, scope, conditions, consumed, ctes);
    const where = clauses.get('where');
    if (where) conditions.push(where);
    this.anchor(scope, conditions, this.exempt(items));
    this.subqueries(items, scope, consumed);
    this.reportUnanchored(scope);
    return {
      anchored: scope.sources.every((source) => source.anchored),
      schoolColumns: schoolColumnsOf(clauses.get('select') ?? [], scope),
    };
  }

  /** Reads the table references of a FROM clause (or an UPDATE's table list) into the scope. */
  private sources(items: Item[], scope: Scope, conditions: Item[][], consumed: Set<Item>, ctes: Source[]): void {
    let i = 0;
    while (i < items.length) {
      const item = items[i]!;
      if (item.kind === 'comment' || isPunct(item, ',') || isWord(item, ...JOIN_WORDS)) {
        i += 1;
        continue;
      }
      let source: Source;
      if (isQuery(item)) {
        consumed.add(item);
        const result = this.query((item as Group).items, null);
        source = derivedSource('', result);
      } else {
        let name = nameOf(item) ?? '';
        if (isPunct(items[i + 1], '.')) {
          i += 2;
          name = nameOf(items[i]) ?? '';
        }
        const cte = ctes.find((candidate) => candidate.alias === name);
        source = cte
          ? { ...cte }
          : {
              alias: name,
              table: name,
              schoolColumn: SCHOOL_COLUMN[name as keyof typeof SCHOOL_COLUMN] ?? null,
              derivedSchoolColumns: null,
              anchored: false,
            };
      }
      i += 1;
      if (isWord(items[i], 'as')) i += 1;
      const alias = items[i];
      if (alias && (alias.kind === 'name' || (alias.kind === 'word' && !isKeyword(alias.text)))) {
        source.alias = nameOf(alias)!;
        i += 1;
      }
      if (source.schoolColumn === null && source.derivedSchoolColumns === null) source.anchored = true;
      scope.sources.push(source);
      if (isWord(items[i], 'on')) {
        const start = i + 1;
        i = start;
        while (i < items.length && !isPunct(items[i], ',') && !isWord(items[i], ...JOIN_WORDS)) i += 1;
        conditions.push(items.slice(start, i));
      }
    }
  }

  /** Marks the scope's sources anchored by its conditions, to a fixed point through join equalities. */
  private anchor(scope: Scope, conditions: Item[][], exempt: boolean): void {
    if (exempt) for (const source of scope.sources) source.anchored = true;
    const equalities: [ColumnRef, ColumnRef][] = [];
    for (const condition of conditions) {
      for (const conjunct of conjuncts(condition)) {
        const parts = withoutComments(conjunct);
        if (isContradiction(parts)) {
          // Matches no row (a viewer who may see none of the table): whichever shard answers, the answer is
          // the same empty one.
          for (const source of scope.sources) source.anchored = true;
          continue;
        }
        const left = columnRef(parts, 0);
        if (!left) {
          const right = columnRef(parts, 2);
          if (right && parts.length === right.end && parts[0]?.kind === 'value' && isPunct(parts[1], '=')) {
            this.anchorByValue(scope, right.ref);
          }
          continue;
        }
        const after = parts.slice(left.end);
        if (isPunct(after[0], '=') && after.length === 2 && after[1]!.kind === 'value') {
          this.anchorByValue(scope, left.ref);
        } else if (isWord(after[0], 'in') && after.length === 2 && isValueList(after[1])) {
          this.anchorByValue(scope, left.ref);
        } else if (isWord(after[0], 'is') && isWord(after[1], 'null') && after.length === 2) {
          this.anchorByValue(scope, left.ref);
        } else if (isPunct(after[0], '=')) {
          const right = columnRef(after, 1);
          if (right && right.end === after.length) equalities.push([left.ref, right.ref]);
        }
      }
    }
    let changed = true;
    while (changed) {
      changed = false;
      for (const [a, b] of equalities) {
        for (const [target, other] of [
          [a, b],
          [b, a],
        ] as const) {
          for (const source of resolve(scope, target, false)) {
            if (source.anchored || source.schoolColumn !== target.column) continue;
            if (carriesAnchoredSchool(scope, other)) {
              source.anchored = true;
              changed = true;
            }
          }
        }
      }
    }
  }

  private anchorByValue(scope: Scope, ref: ColumnRef): void {
    for (const source of resolve(scope, ref, false)) {
      if (source.schoolColumn === ref.column) source.anchored = true;
    }
  }

  /** Every subquery in the scope's clauses other than its derived tables, checked with this scope around it. */
  private subqueries(items: Item[], scope: Scope, consumed: Set<Item>): void {
    for (const item of items) {
      if (!isGroup(item) || consumed.has(item)) continue;
      if (isQuery(item)) this.query(item.items, scope);
      else this.subqueries(item.items, scope, consumed);
    }
  }

  private reportUnanchored(scope: Scope): void {
    for (const source of scope.sources) {
      if (source.anchored || source.table === null) continue;
      const named = source.alias === source.table ? `\`${source.table}\`` : `\`${source.table}\` (as ${source.alias})`;
      this.problems.push(
        `${named} is read without its school: no ${source.alias}.${source.schoolColumn} = ?, in (…) or equality ` +
          'with an anchored school column among the conjuncts of its WHERE and ON clauses',
      );
    }
  }

  private insert(items: Item[]): void {
    const parts = withoutComments(items);
    let i = 1;
    while (isWord(parts[i], 'ignore', 'into', 'or', 'replace', 'low_priority', 'delayed', 'high_priority')) i += 1;
    const table = nameOf(parts[i]) ?? '';
    const schoolColumn = SCHOOL_COLUMN[table as keyof typeof SCHOOL_COLUMN] ?? null;
    i += 1;
    const columns = isGroup(parts[i]) && !isQuery(parts[i]) ? (parts[i] as Group).items : null;
    if (schoolColumn !== null) {
      const names = columns ? columns.map(nameOf) : [];
      if (!names.includes(schoolColumn)) {
        this.problems.push(`an insert into \`${table}\` gives no ${schoolColumn}`);
      }
    }
    // INSERT … SELECT: the rows it copies are read under the same rule (with its comments, which may mark it).
    const afterColumns = items.indexOf(columns ? parts[i]! : parts[i - 1]!) + 1;
    const select = items.findIndex(
      (item, index) => index >= afterColumns && (isWord(item, 'select', 'with') || isQuery(item)),
    );
    if (select !== -1) {
      const end = items.findIndex(
        (item, index) =>
          index > select &&
          (isWord(item, 'returning') || (isWord(item, 'on') && isWord(items[index + 1], 'duplicate', 'conflict'))),
      );
      const query = items.slice(select, end === -1 ? undefined : end);
      this.query(isQuery(query[0]) && query.length === 1 ? (query[0] as Group).items : query, null);
    }
  }

  private update(items: Item[]): void {
    const set = items.findIndex((item) => isWord(item, 'set'));
    const where = items.findIndex((item) => isWord(item, 'where'));
    this.changeOf(items.slice(1, set), where === -1 ? [] : endOfWhere(items.slice(where + 1)), items);
  }

  private delete(items: Item[]): void {
    const from = items.findIndex((item) => isWord(item, 'from'));
    const where = items.findIndex((item) => isWord(item, 'where'));
    const tables = items.slice(from + 1, where === -1 ? undefined : where);
    this.changeOf(tables, where === -1 ? [] : endOfWhere(items.slice(where + 1)), items);
  }

  private changeOf(tables: Item[], where: Item[], items: Item[]): void {
    const scope: Scope = { sources: [], outer: null };
    const conditions: Item[][] = [where];
    const consumed = new Set<Item>();
    this.sources(tables, scope, conditions, consumed, []);
    this.anchor(scope, conditions, this.exempt(items));
    this.subqueries(items, scope, consumed);
    this.reportUnanchored(scope);
  }

  /**
   * Whether a scope's own tokens (not its subqueries') carry a district-wide comment with a reviewed reason; a
   * reason off the list is a problem of its own.
   */
  private exempt(items: Item[]): boolean {
    let exempt = false;
    const visit = (list: Item[]) => {
      for (const item of list) {
        if (item.kind === 'comment') {
          const reason = DISTRICT_WIDE.exec(item.text)?.[1];
          if (reason === undefined) continue;
          if (this.reasons.has(reason)) exempt = true;
          else this.problems.push(`"district-wide: ${reason}" is not a reviewed district-wide reason`);
        } else if (isGroup(item) && !isQuery(item)) {
          visit(item.items);
        }
      }
    };
    visit(items);
    return exempt;
  }
}

function isKeyword(word: string): boolean {
  return ['on', 'where', 'using', 'set', 'values', ...CLAUSE_WORDS, ...JOIN_WORDS].includes(word);
}

function derivedSource(alias: string, result: QueryResult): Source {
  return {
    alias,
    table: null,
    schoolColumn: null,
    derivedSchoolColumns: result.anchored ? result.schoolColumns : new Set(),
    anchored: result.anchored,
  };
}

/** The clauses of a SELECT, by their first word, at its top level. */
function splitClauses(items: Item[]): Map<string, Item[]> {
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

function endOfWhere(items: Item[]): Item[] {
  const end = items.findIndex((item) => isWord(item, 'order', 'limit', 'returning'));
  return end === -1 ? items : items.slice(0, end);
}

/** The conjuncts of a condition: what must each hold for a row to be kept (none, where an OR is at the top). */
function conjuncts(items: Item[]): Item[][] {
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
function columnRef(items: Item[], start: number): { ref: ColumnRef; end: number } | null {
  const first = items[start];
  if (!first || (first.kind !== 'name' && first.kind !== 'word') || isGroup(items[start + 1])) return null;
  if (isPunct(items[start + 1], '.')) {
    const column = nameOf(items[start + 2]);
    return column === null ? null : { ref: { qualifier: nameOf(first), column }, end: start + 3 };
  }
  if (first.kind === 'word' && ['null', 'not', 'exists', 'true', 'false'].includes(first.text)) return null;
  return { ref: { qualifier: null, column: nameOf(first)! }, end: start + 1 };
}

function isContradiction(parts: Item[]): boolean {
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

function isValueList(item: Item | undefined): boolean {
  if (!isGroup(item) || item.items.length === 0) return false;
  return withoutComments(item.items).every((inner) => inner.kind === 'value' || isPunct(inner, ','));
}

/** The sources a column reference may name: by qualifier, in this scope or those around it; unqualified, here. */
function resolve(scope: Scope, ref: ColumnRef, outward: boolean): Source[] {
  if (ref.qualifier === null) {
    const here = scope.sources.filter((source) => source.schoolColumn === ref.column);
    return here.length > 0 || !outward || !scope.outer ? here : resolve(scope.outer, ref, true);
  }
  const here = scope.sources.filter((source) => source.alias === ref.qualifier);
  if (here.length > 0 || !scope.outer) return here;
  return resolve(scope.outer, ref, true);
}

/**
 * Whether a column holds a school the statement already knows: the school column of an anchored source, here or
 * around; a column of an anchored derived table that carries one; or the `school_id` of a district table's row
 * (a member of staff's school), which Vitess binds as a value when it joins across keyspaces.
 */
function carriesAnchoredSchool(scope: Scope, ref: ColumnRef): boolean {
  return resolveQualified(scope, ref).some(
    (source) =>
      (source.anchored &&
        (source.schoolColumn === ref.column || (source.derivedSchoolColumns?.has(ref.column) ?? false))) ||
      (source.table !== null && source.schoolColumn === null && ref.column === 'school_id'),
  );
}

/** resolve, where an unqualified column may also name a column of a derived or district table. */
function resolveQualified(scope: Scope, ref: ColumnRef): Source[] {
  if (ref.qualifier !== null) return resolve(scope, ref, true);
  const here = scope.sources.filter(
    (source) =>
      source.schoolColumn === ref.column ||
      source.derivedSchoolColumns?.has(ref.column) ||
      (source.table !== null && source.schoolColumn === null),
  );
  return here.length > 0 || !scope.outer ? here : resolveQualified(scope.outer, ref);
}

/** The output columns of a select list that carry the school of an anchored source. */
function schoolColumnsOf(selectList: Item[], scope: Scope): Set<string> {
  const columns = new Set<string>();
  const items: Item[][] = [[]];
  for (const item of withoutComments(selectList)) {
    if (isPunct(item, ',')) items.push([]);
    else items.at(-1)!.push(item);
  }
  for (const item of items) {
    if (isWord(item[0], 'distinct')) item.shift();
    if (item.length === 1 && isPunct(item[0], '*')) {
      for (const source of scope.sources) if (source.anchored && source.schoolColumn) columns.add(source.schoolColumn);
      continue;
    }
    if (item.length === 3 && isPunct(item[1], '.') && isPunct(item[2], '*')) {
      const source = scope.sources.find((candidate) => candidate.alias === nameOf(item[0]));
      if (source?.anchored && source.schoolColumn) columns.add(source.schoolColumn);
      continue;
    }
    const ref = columnRef(item, 0);
    if (!ref) continue;
    const alias = isWord(item[ref.end], 'as') ? nameOf(item[ref.end + 1]) : nameOf(item[ref.end]);
    if (ref.end !== item.length && alias === null) continue;
    if (carriesAnchoredSchool(scope, ref.ref)) columns.add(alias ?? ref.ref.column);
  }
  return columns;
}

/**
 * The problems of one statement: each tenant table it reads or changes without naming the school, each insert
 * that gives no school, and each district-wide comment whose reason is not on the reviewed list.
 */
export function schoolPredicateProblems(statement: string, reviewedReasons: readonly string[]): string[] {
  const checker = new Checker(new Set(reviewedReasons));
  checker.statement(parse(statement));
  return [...new Set(checker.problems)];
}
