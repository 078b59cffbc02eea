/**
 * The authorization matrix: every root field of the schema (Query and Mutation), called by every kind of
 * principal (nobody, each staff role, an API token of each scope for one school and for the whole district),
 * about five targets (testing/authorization-fixture.ts: students of the form master's own classroom, one of
 * them with the pastoral lead's case, another classroom's student with a case assigned to the form master,
 * another classroom's, another school's). Each cell is decided by the entries (authorization-matrix.queries.ts and .mutations.ts) and checked against the real
 * server: 401 for nobody signed in, 403 for a principal the field is not for, the target shown only within the
 * principal's scope, out of scope answered as a missing record is (null, absent, a refusal in userErrors), and a
 * change the principal may see but not make refused, with nothing changed in the database and nothing written to
 * the audit log. No answer may carry the ids or name of a record outside the principal's scope, whatever the
 * field.
 *
 * The root fields are read from the built schema, not from the table: a field without an entry (or an entry
 * without a field) fails, so a new field cannot ship before someone decides who may call it.
 * authorization-paths.test.ts follows every field below the root the same way.
 */
import { fitKey, type Role } from '@pastoral/db';
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId, toGlobalId } from '../../graphql/relay.ts';
import { buildSchema } from '../../graphql/schema.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';
import {
  type AuthorizationFixture,
  expectNothingUnseen,
  makeAuthorizationFixture,
  type Principal,
  PRINCIPALS,
  sender,
  STAFF_EMAILS,
  TARGETS,
} from '../../testing/authorization-fixture.ts';
import { type Db, type MatrixEntry, namesSchool2, payload } from './authorization-matrix.cells.ts';
import { MUTATION_ENTRIES } from './authorization-matrix.mutations.ts';
import { QUERY_ENTRIES } from './authorization-matrix.queries.ts';

/**
 * One entry per root field: who may call it, and how a call about each target is made and recognised. The
 * keys must match the schema's root fields exactly; the first test says which are missing or stale.
 */
const ENTRIES: Record<string, MatrixEntry> = { ...QUERY_ENTRIES, ...MUTATION_ENTRIES };

/** The schema's root fields, as `Query.name` and `Mutation.name`, in the schema's order. */
function rootFields(): string[] {
  const schema = buildSchema();
  return [
    ...Object.keys(schema.getQueryType()?.getFields() ?? {}).map((name) => `Query.${name}`),
    ...Object.keys(schema.getMutationType()?.getFields() ?? {}).map((name) => `Mutation.${name}`),
  ];
}
const ROOT_FIELDS = rootFields();

describe('the authorization matrix covers the schema', () => {
  it.each(ROOT_FIELDS)('%s has an entry', (field) => {
    expect(
      ENTRIES[field],
      `${field} has no entry in the authorization matrix: add one to authorization-matrix.queries.ts or ` +
        'authorization-matrix.mutations.ts ' +
        'saying who may call it and what they see',
    ).toBeDefined();
  });

  it('has no entry for a root field the schema no longer has', () => {
    const stale = Object.keys(ENTRIES).filter((field) => !ROOT_FIELDS.includes(field));
    expect(
      stale,
      `entries without a root field (remove them from authorization-matrix.queries.ts or .mutations.ts): ${stale.join(', ')}`,
    ).toEqual([]);
  });
});

// ---- The matrix, on each engine ---------------------------------------------------------------------------

for (const engine of testEngines()) {
  describe(`the authorization matrix on ${engine.name}`, () => {
    let api: ApiHarness;
    let db: Db;
    let fixture: AuthorizationFixture;

    const cells = { count: 0 };

    beforeAll(async () => {
      api = await startApiHarness(engine);
      db = api.database.handle.db;
      fixture = await makeAuthorizationFixture(api);
    });
    afterAll(async () => {
      console.log(
        `the authorization matrix on ${engine.name}: ${cells.count} cells (${ROOT_FIELDS.length} root fields)`,
      );
      await api?.close();
    });

    /** The last audit entry's sequence number: a call that writes none leaves it as it was. */
    const lastAuditSequence = async () =>
      Number(
        (
          await db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.max('seq').as('seq'))
            .executeTakeFirstOrThrow()
        ).seq ?? 0,
      );
    /** The actions of the entries written after `seq`. */
    const actionsSince = async (seq: number) =>
      (await db.selectFrom('audit_log').select('action').where('seq', '>', seq).orderBy('seq').execute()).map(
        (entry) => entry.action,
      );

    /**
     * Where the count of `principal`'s refused accesses stands (access-refusals.ts): its window and count, which
     * every refusal moves on and nothing else does.
     */
    const refusalCount = async (principal: Principal) => {
      if (principal.kind === 'anonymous') return null;
      const who =
        principal.kind === 'staff'
          ? `user:${fromGlobalId((await meOf(principal))!)!.key.id}`
          : `token:${fixture.tokenIds.get(principal.name)}`;
      const row = await db
        .selectFrom('audit_summaries')
        .select(['window_started_at', 'occurrences'])
        .where('summary_key', '=', fitKey(`access.refused:${who}`))
        .executeTakeFirst();
      return row ? `${row.window_started_at} ${row.occurrences}` : null;
    };
    const staffIds = new Map<Role, string>();
    const meOf = async (principal: Principal & { kind: 'staff' }) => {
      if (!staffIds.has(principal.role)) {
        const user = await db
          .selectFrom('users')
          .select('id')
          .where('email', '=', STAFF_EMAILS[principal.role])
          .executeTakeFirstOrThrow();
        staffIds.set(principal.role, toGlobalId('User', user.id));
      }
      return staffIds.get(principal.role);
    };

    /** How `principal` makes a call: staff with a session of its own for a call that ends it. */
    async function caller(principal: Principal, entry: MatrixEntry) {
      const cookie =
        principal.kind === 'staff' && entry.mutation?.endsSession
          ? await api.signIn(STAFF_EMAILS[principal.role])
          : undefined;
      const send = sender(api, fixture, principal, cookie);
      return (variables: Record<string, unknown>) => send(entry.document, variables);
    }

    for (const field of ROOT_FIELDS) {
      const entry = ENTRIES[field];
      if (!entry) continue;
      const [, name] = field.split('.') as [string, string];
      describe(field, () => {
        it.each(PRINCIPALS.map((principal) => [principal.name, principal] as const))('as %s', async (_, principal) => {
          for (const targetName of TARGETS) {
            const target = fixture.targets[targetName];
            const expected = entry.expect(principal, targetName);
            const cell = `${field} as ${principal.name} about the ${targetName} target (expected ${expected})`;
            cells.count += 1;
            const mutation = entry.mutation;
            await mutation?.reset?.(db, target);
            const send = await caller(principal, entry);
            const before = mutation ? await mutation.state(db, target) : undefined;
            const auditBefore = mutation ? await lastAuditSequence() : 0;
            const refusalsBefore = await refusalCount(principal);
            const response = await send(entry.variables(target));
            const answer = `${cell}: ${response.status} ${JSON.stringify(response.body).slice(0, 400)}`;
            const errorCodes = (response.body.errors ?? []).map((error) => error.extensions?.code);

            if (expected === 'unauthenticated' || expected === 'forbidden') {
              expect.soft(response.status, answer).toBe(expected === 'unauthenticated' ? 401 : 403);
              expect
                .soft(errorCodes, answer)
                .toEqual([expected === 'unauthenticated' ? 'UNAUTHENTICATED' : 'FORBIDDEN']);
              expect.soft(response.body.data ?? null, answer).toBeNull();
            } else {
              expect.soft(response.status, answer).toBe(200);
              expect.soft(response.body.errors, answer).toBeUndefined();
              expect.soft(entry.shows(response, target, principal), answer).toBe(expected === 'shown');
              if (mutation && (expected === 'hidden' || expected === 'refused')) {
                const codes = payload<{ userErrors?: { code: string }[] }>(response, name).userErrors?.map(
                  (e) => e.code,
                );
                expect.soft(codes?.length, `${answer}: a refusal says why`).toBeGreaterThan(0);
                const allowed =
                  expected === 'refused' ? [mutation.refusedCode] : (mutation.refusalCodes ?? ['NOT_FOUND']);
                for (const code of codes ?? []) expect.soft(allowed, answer).toContain(code);
              }
            }

            // A refusal is on the record (counted into the principal's summary): a 403, or an id of another school
            // sent by someone of one school. Nothing else is.
            const schoolScoped =
              (principal.kind === 'staff' && principal.role !== 'DISTRICT_ADMIN') ||
              (principal.kind === 'token' && !principal.districtWide);
            const refusal =
              principal.kind !== 'anonymous' &&
              (expected === 'forbidden' || (schoolScoped && namesSchool2(entry.variables(target))));
            expect
              .soft((await refusalCount(principal)) !== refusalsBefore, `${cell}: the refusal is recorded`)
              .toBe(refusal);

            // No record of a target the principal does not see, anywhere in the answer.
            expectNothingUnseen(fixture, principal, response, answer);

            if (mutation) {
              const after = await mutation.state(db, target);
              if (expected === 'shown') {
                expect.soft(after, `${cell}: the change is made`).not.toEqual(before);
              } else {
                expect.soft(after, `${cell}: nothing changed`).toEqual(before);
                // Nothing but the refusal itself, if it is one to record (below), and by design a failed sign-in.
                const written = (await actionsSince(auditBefore)).filter((action) => action !== 'access.refused');
                const auditedByDesign = expected === 'hidden' && mutation.auditsRefusals === true;
                expect
                  .soft(written.length > 0, `${cell}: an audit entry was written (${written.join(', ')})`)
                  .toBe(auditedByDesign);
              }
            }
          }
          if (entry.mutation?.endsOtherSessions && principal.kind === 'staff') {
            fixture.cookies[principal.role] = await api.signIn(STAFF_EMAILS[principal.role]);
          }
        });
      });
    }
  });
}
