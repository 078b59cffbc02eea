/**
 * The tables a statement's scope names, and which of them carry a school the statement already knows: how the
 * school-predicate check (school-predicates.ts) resolves a column reference to its table, here or in the
 * statements around a subquery.
 */
import {
  type ColumnRef,
  columnRef,
  isPunct,
  isWord,
  type Item,
  nameOf,
  withoutComments,
} from './school-predicates.sql-syntax.ts';

/** A table or derived table in a FROM clause, an UPDATE or a DELETE. */
export interface Source {
  alias: string;
  /** The table's name, or null for a derived table. */
  table: string | null;
  /** The column that names the school (`school_id`); null for the district's own tables. */
  schoolColumn: string | null;
  /** A derived table: the names of its columns that carry an anchored school. */
  derivedSchoolColumns: Set<string> | null;
  anchored: boolean;
}

export interface Scope {
  sources: Source[];
  outer: Scope | null;
}

/** What a query yields to the query around it: whether it is anchored, and which columns carry the school. */
export interface QueryResult {
  anchored: boolean;
  schoolColumns: Set<string>;
}

export function derivedSource(alias: string, result: QueryResult): Source {
  return {
    alias,
    table: null,
    schoolColumn: null,
    derivedSchoolColumns: result.anchored ? result.schoolColumns : new Set(),
    anchored: result.anchored,
  };
}

/** The sources a column reference may name: by qualifier, in this scope or those around it; unqualified, here. */
export function resolve(scope: Scope, ref: ColumnRef, outward: boolean): Source[] {
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
export function carriesAnchoredSchool(scope: Scope, ref: ColumnRef): boolean {
  return resolveQualified(scope, ref).some(
    (source) =>
      (source.anchored &&
        (source.schoolColumn === ref.column || (source.derivedSchoolColumns?.has(ref.column) ?? false))) ||
      (source.table !== null && source.schoolColumn === null && ref.column === 'school_id'),
  );
}

/** resolve, where an unqualified column may also name a column of a derived or district table. */
export function resolveQualified(scope: Scope, ref: ColumnRef): Source[] {
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
export function schoolColumnsOf(selectList: Item[], scope: Scope): Set<string> {
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
