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
import {
  carriesAnchoredSchool,
  derivedSource,
  type QueryResult,
  resolve,
  schoolColumnsOf,
  type Scope,
  type Source,
} from './school-predicates.scopes.ts';
import {
  type ColumnRef,
  columnRef,
  conjuncts,
  endOfWhere,
  type Group,
  isContradiction,
  isGroup,
  isKeyword,
  isPunct,
  isQuery,
  isValueList,
  isWord,
  type Item,
  JOIN_WORDS,
  nameOf,
  parse,
  splitClauses,
  withoutComments,
} from './school-predicates.sql-syntax.ts';
import { SCHOOL_COLUMN } from './shard-key.ts';

const DISTRICT_WIDE = /^district-wide:\s*([a-z0-9-]+)\s*$/;

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

/**
 * The problems of one statement: each tenant table it reads or changes without naming the school, each insert
 * that gives no school, and each district-wide comment whose reason is not on the reviewed list.
 */
export function schoolPredicateProblems(statement: string, reviewedReasons: readonly string[]): string[] {
  const checker = new Checker(new Set(reviewedReasons));
  checker.statement(parse(statement));
  return [...new Set(checker.problems)];
}
