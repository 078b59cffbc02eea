/**
 * Whose records a request read, put on the record once, as its response leaves:
 *
 * - an API token's reads of students' data (a student, their cases and alerts, their attendance and the rest)
 *   are disclosures: one `student.disclosed` audit entry per student and request, all appended in one batch
 *   (appendAuditEntries), through whatever path the data was reached;
 * - staff reads of a student's record are views: one row per member of staff, student and day in
 *   `student_record_views`, inserted in one statement and never twice, kept off the audit chain's head, which
 *   every audited change already queues on.
 *
 * A read is noted where a record is handed on (every field that returns such a record is wrapped by
 * noteStudentReads), so no path is missed and no resolver has to remember. Nothing is recorded for a response
 * without data (a refusal, a failed request); a response whose reads cannot be recorded is withheld.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { type Database, type EngineDialect, toTimestamp } from '@pastoral/db';
import {
  defaultFieldResolver,
  type FieldNode,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  Kind,
} from 'graphql';
import type { Kysely } from 'kysely';
import type { SchoolKey } from '../../school-scope.ts';
import { accessOf, type RecordKind } from '../../graphql/type-access.ts';
import { type AuditActor, appendAuditEntries } from './audit.writer.ts';

/** The kinds of record that are a student's data: reading one discloses the student. */
const STUDENT_DATA: readonly RecordKind[] = ['student', 'case', 'alert'];

/** What the request knows of who reads: staff (views), a token (disclosures) or nobody (nothing to record). */
export type Reader = 'staff' | 'token' | null;

/** The students one request read, in the order first read, with the root field each was first read under. */
export class RequestReads {
  private readonly seen = new WeakSet<object>();
  private readonly students = new Map<string, { key: SchoolKey; via: string }>();
  private rootFieldNames?: Map<string, string>;

  constructor(readonly reader: Reader) {}

  /**
   * Whether records of `kind` (null: a Node of any kind) are noted for this reader: every kind of a student's
   * data for a token; for staff, students alone (their cases and alerts are their own work).
   */
  notes(kind: RecordKind | null): boolean {
    return this.reader === 'token' || (this.reader === 'staff' && (kind === null || kind === 'student'));
  }

  /** `row`, a record of `kind`, is handed on to the response. */
  note(kind: RecordKind, row: object, info: GraphQLResolveInfo): void {
    if (!this.notes(kind) || this.seen.has(row)) return;
    this.seen.add(row);
    const key = studentOf(kind, row as Record<string, unknown>);
    if (!key) return;
    const name = `${key.schoolId}:${key.id}`;
    if (!this.students.has(name)) this.students.set(name, { key, via: this.rootFieldName(info) });
  }

  get size(): number {
    return this.students.size;
  }

  read(): { key: SchoolKey; via: string }[] {
    return [...this.students.values()];
  }

  /** The root field a path starts at, by name (an alias is the client's own text, never recorded). */
  private rootFieldName(info: GraphQLResolveInfo): string {
    let path = info.path;
    while (path.prev) path = path.prev;
    this.rootFieldNames ??= new Map(
      info.operation.selectionSet.selections.flatMap((selection) =>
        selection.kind === Kind.FIELD ? [[(selection.alias ?? selection.name).value, selection.name.value]] : [],
      ),
    );
    return this.rootFieldNames.get(String(path.key)) ?? info.operation.operation;
  }
}

/** The student a record is about: the student itself, or the one its school_id and student_id name. */
function studentOf(kind: RecordKind, row: Record<string, unknown>): SchoolKey | null {
  const schoolId = row.school_id;
  const studentId = kind === 'student' && !('student_id' in row) ? row.id : row.student_id;
  return typeof schoolId === 'number' && typeof studentId === 'number' ? { schoolId, id: studentId } : null;
}

/** The rows a field's value holds: a connection's nodes, a list's items, or the row itself. */
function rowsOf(value: unknown): object[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.filter((item): item is object => item !== null && typeof item === 'object');
  const nodes = (value as { nodes?: unknown }).nodes;
  return Array.isArray(nodes) ? rowsOf(nodes) : [value];
}

const COUNTS_AND_PAGING = new Set(['totalCount', 'totalCountIsCapped', 'pageInfo', '__typename']);
/** Per field of a document (graphql-js and graphql-jit keep the field nodes for a compiled document). */
const countsOnlyByField = new WeakMap<readonly FieldNode[], boolean>();

/** Whether a selection asks for a connection's counts and page info alone: no row of it is read. */
function countsOnly(info: GraphQLResolveInfo): boolean {
  let answer = countsOnlyByField.get(info.fieldNodes);
  if (answer === undefined) {
    const selections = info.fieldNodes.flatMap((node) => node.selectionSet?.selections ?? []);
    answer =
      selections.length > 0 &&
      selections.every((selection) => selection.kind === Kind.FIELD && COUNTS_AND_PAGING.has(selection.name.value));
    countsOnlyByField.set(info.fieldNodes, answer);
  }
  return answer;
}

/**
 * The types whose records a field hands on are noted: a student (its risk profile, attendance and the rest are
 * reached only through it), and for a token a case or an alert. `node` and `nodes` are noted by each row's type.
 */
const NOTED_TYPES: Record<string, RecordKind> = { Student: 'student', InterventionCase: 'case', Alert: 'alert' };

/**
 * Wraps every field that returns a student, a case or an alert (or any Node), so that each record it hands on
 * is noted in the request's RequestReads: a read of the record, whichever path led to it. Called once on the
 * built schema; both executors call the wrapped resolvers. The records' own fields stay unwrapped: wrapping each
 * made every scalar field a resolver call, which graphql-jit otherwise reads inline.
 */
export function noteStudentReads(schema: GraphQLSchema): void {
  const kindOfRow = (row: object) => {
    const kind = accessOf((row as { __typename?: string }).__typename ?? '');
    return kind && (STUDENT_DATA as readonly string[]).includes(kind) ? (kind as RecordKind) : null;
  };
  for (const type of Object.values(schema.getTypeMap())) {
    // A connection's nodes and edges are noted by the field that returns the connection.
    if (type.name.startsWith('__') || /(Connection|Edge)$/.test(type.name)) continue;
    if (!('getFields' in type) || !('isTypeOf' in type)) continue;
    for (const field of Object.values(type.getFields())) {
      let returned = field.type as { ofType?: unknown; name?: string };
      while (returned.ofType) returned = returned.ofType as typeof returned;
      const name = returned.name!.replace(/(Connection|Edge)$/, '');
      const abstract = name === 'Node';
      const kind = NOTED_TYPES[name] ?? null;
      if (!abstract && !kind) continue;
      const resolve: GraphQLFieldResolver<unknown, { reads: RequestReads }> = field.resolve ?? defaultFieldResolver;
      const note = (value: unknown, reads: RequestReads, info: GraphQLResolveInfo) => {
        if (countsOnly(info)) return;
        for (const row of rowsOf(value)) {
          const rowKind = kind ?? kindOfRow(row);
          if (rowKind) reads.note(rowKind, row, info);
        }
      };
      field.resolve = (source, args, context: { reads: RequestReads }, info) => {
        const value = resolve(source, args, context, info);
        const { reads } = context;
        // Nobody reads nothing; staff's views are of students alone.
        if (!reads.notes(kind)) return value;
        if (value instanceof Promise) {
          return value.then((resolved: unknown) => {
            note(resolved, reads, info);
            return resolved;
          });
        }
        note(value, reads, info);
        return value;
      };
    }
  }
}

/**
 * The views this process has recorded lately: a student looked at again the same day by the same member of
 * staff costs no statement. Bounded, the oldest forgotten first; a view forgotten is only inserted again, and
 * the insert skips a row that is there.
 */
export class RecordedViews {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity = 100_000) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.add(key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value!);
  }
}

export interface ReadsContext {
  db: Kysely<Database>;
  dialect: EngineDialect;
  reads: RequestReads;
  recordedViews: RecordedViews;
  actor: AuditActor;
  viewerId: number | null;
  now: Date;
  today: string;
}

/** Puts the request's reads on the record: the token's disclosures, or the member of staff's new views. */
export async function recordReads(context: ReadsContext): Promise<void> {
  const read = context.reads.read();
  if (read.length === 0) return;
  if (context.reads.reader === 'token') {
    await appendAuditEntries(
      context.db,
      context.dialect,
      context.actor,
      read.map(({ key, via }) => ({
        action: 'student.disclosed' as const,
        schoolId: key.schoolId!,
        studentId: key.id,
        via,
      })),
      context.now,
    );
    return;
  }
  const userId = context.viewerId;
  if (context.reads.reader !== 'staff' || userId === null) return;
  const viewKey = (key: SchoolKey) => `${context.today}:${userId}:${key.schoolId}:${key.id}`;
  const fresh = read.filter(({ key }) => !context.recordedViews.has(viewKey(key)));
  if (fresh.length === 0) return;
  const rows = fresh.map(({ key }) => ({
    school_id: key.schoolId!,
    student_id: key.id,
    viewed_on: context.today,
    user_id: userId,
    first_viewed_at: toTimestamp(context.now),
  }));
  // The day's first view stands: a later one, here or from another process, changes nothing.
  const insert = context.db.insertInto('student_record_views').values(rows);
  await (
    context.dialect.engine === 'mysql' ? insert.ignore() : insert.onConflict((conflict) => conflict.doNothing())
  ).execute();
  for (const { key } of fresh) context.recordedViews.add(viewKey(key));
}

/**
 * Records the reads of every response that carries data, before it leaves; a response whose reads cannot be
 * recorded is withheld (503: the client may retry), so no data leaves without its record.
 */
export function readsRecordingPlugin<
  TContext extends { reads: RequestReads; logger: { warn(object: object, message: string): void } },
>(readsContext: (context: TContext) => ReadsContext): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single' || contextValue.reads.size === 0) return;
          const result = response.body.singleResult;
          if (result.data == null) return;
          try {
            await recordReads(readsContext(contextValue));
          } catch (error) {
            contextValue.logger.warn({ err: error }, 'reads could not be recorded; the response is withheld');
            result.data = null;
            result.errors = [
              {
                message: 'What you asked for could not be put on the record, so it was not sent; retry in a moment.',
                extensions: { code: 'DATABASE_UNAVAILABLE' },
              },
            ];
            response.http.status = 503;
            response.http.headers.set('retry-after', '2');
          }
        },
      };
    },
  };
}
