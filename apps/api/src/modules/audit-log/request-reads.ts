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
 * A read is noted as the first field of a record resolves (the schema's fields of those types are wrapped by
 * noteStudentReads), so no path is missed and no resolver has to remember. Nothing is recorded for a response
 * without data (a refusal, a failed request); a response whose reads cannot be recorded is withheld.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { type Database, type EngineDialect, toTimestamp } from '@pastoral/db';
import {
  defaultFieldResolver,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  Kind,
} from 'graphql';
import type { Kysely } from 'kysely';
import type { SchoolKey } from '../../graphql/relay.ts';
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

  /** A field of `row`, a record of `kind`, is resolving. */
  note(kind: RecordKind, row: object, info: GraphQLResolveInfo): void {
    if (this.reader === null || this.seen.has(row)) return;
    this.seen.add(row);
    // Staff view a student's record through the student; their cases and alerts are their own work.
    if (this.reader === 'staff' && kind !== 'student') return;
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

/**
 * Wraps every field of the types that hold a student's data (type-access.ts) so that resolving one notes the
 * read in the request's RequestReads. Called once on the built schema; both executors call the wrapped resolvers.
 */
export function noteStudentReads(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    const kind = accessOf(type.name);
    if (!kind || !(STUDENT_DATA as readonly string[]).includes(kind) || !('getFields' in type)) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve: GraphQLFieldResolver<unknown, { reads: RequestReads }> =
        (field as { resolve?: GraphQLFieldResolver<unknown, { reads: RequestReads }> }).resolve ?? defaultFieldResolver;
      (field as { resolve?: unknown }).resolve = (
        source: object,
        args: Record<string, unknown>,
        context: { reads: RequestReads },
        info: GraphQLResolveInfo,
      ) => {
        context.reads.note(kind as RecordKind, source, info);
        return resolve(source, args, context, info);
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
