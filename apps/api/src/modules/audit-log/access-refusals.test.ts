/**
 * Refused attempts to reach records are on the record, summarised (issue #19, item 13): a form master probing
 * another school's ids, a token asking for what its scopes do not cover. One opening entry per principal and
 * window, the count in the closing entry; nothing for an ordinary request, for nobody, or for a district admin.
 */
import { fitKey } from '@pastoral/db';
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';
import { closeEndedSummaries } from './audit-summary.ts';
import { REFUSALS_SUMMARY_MS } from './access-refusals.ts';

for (const engine of testEngines()) {
  describe(`refused access on the record, on ${engine.name}`, () => {
    let api: ApiHarness;
    let formMaster: string;
    let formMasterId: number;
    let otherSchoolStudents: string[];

    beforeAll(async () => {
      api = await startApiHarness(engine);
      formMaster = await api.signIn('form.master@s01.pastoral.example');
      const { db } = api.database.handle;
      formMasterId = (
        await db
          .selectFrom('users')
          .select('id')
          .where('email', '=', 'form.master@s01.pastoral.example')
          .executeTakeFirstOrThrow()
      ).id;
      otherSchoolStudents = (
        await db.selectFrom('students').select('id').where('school_id', '=', 2).orderBy('id').limit(50).execute()
      ).map((student) => toGlobalId('Student', { schoolId: 2, id: student.id }));
    });
    afterAll(() => api.close());

    const refusals = () =>
      api.database.handle.db
        .selectFrom('audit_log')
        .select(['action', 'actor_type', 'user_id', 'api_token_id', 'school_id', 'details'])
        .where('action', '=', 'access.refused')
        .orderBy('seq')
        .execute();
    const summaryOf = (who: string) =>
      api.database.handle.db
        .selectFrom('audit_summaries')
        .select('occurrences')
        .where('summary_key', '=', fitKey(`access.refused:${who}`))
        .executeTakeFirst();

    it("records a form master probing 50 of another school's ids as one entry and a count of 50", async () => {
      const before = (await refusals()).length;
      for (const id of otherSchoolStudents) {
        const probe = await api.graphql<{ node: unknown }>(
          'query ($id: ID!) { node(id: $id) { id } }',
          { id },
          formMaster,
        );
        // Answered as for a missing record, whatever is recorded.
        expect(probe.body.data).toEqual({ node: null });
      }
      const opened = (await refusals()).slice(before);
      expect(opened).toHaveLength(1);
      expect(opened[0]).toMatchObject({ actor_type: 'USER', user_id: formMasterId, school_id: 1 });
      expect(JSON.parse(opened[0]!.details!)).toMatchObject({
        reasons: ['other_school'],
        summary: { state: 'opened' },
      });
      expect(await summaryOf(`user:${formMasterId}`)).toEqual({ occurrences: otherSchoolStudents.length });

      // When the window has ended, the sweep writes its count.
      const later = new Date(Date.now() + REFUSALS_SUMMARY_MS);
      await closeEndedSummaries(api.database.handle.db, api.database.handle.dialect, later);
      const closed = (await refusals()).slice(before + 1);
      expect(closed).toHaveLength(1);
      expect(JSON.parse(closed[0]!.details!)).toMatchObject({
        reasons: ['other_school'],
        summary: { state: 'closed', occurrences: otherSchoolStudents.length },
      });
    });

    it('records a token asking for what its scopes do not cover, and nothing for what they do', async () => {
      const admin = await api.signIn('school.admin@s01.pastoral.example');
      const created = await api.graphql<{ createApiToken: { token: string; apiToken: { id: string } } }>(
        'mutation { createApiToken(input: { name: "Refusals", scopes: [STUDENTS_READ] }) { token apiToken { id } } }',
        {},
        admin,
      );
      const { token } = created.body.data!.createApiToken;
      const allowed = await api.graphqlWithToken('{ students(first: 3) { nodes { id } } }', {}, token);
      expect(allowed.status).toBe(200);
      const tokenRow = await api.database.handle.db
        .selectFrom('api_tokens')
        .select('id')
        .where('name', '=', 'Refusals')
        .executeTakeFirstOrThrow();
      expect(await summaryOf(`token:${tokenRow.id}`)).toBeUndefined();

      const refused = await api.graphqlWithToken('{ alerts(first: 3) { nodes { id } } }', {}, token);
      expect(refused.status).toBe(403);
      expect(await summaryOf(`token:${tokenRow.id}`)).toEqual({ occurrences: 1 });
      const entry = (await refusals()).at(-1)!;
      expect(entry).toMatchObject({ actor_type: 'TOKEN', api_token_id: tokenRow.id, school_id: 1 });
      expect(JSON.parse(entry.details!)).toMatchObject({ reasons: ['forbidden'] });
    });

    it("records nothing for nobody, for a district admin, or for a school's own ids", async () => {
      const before = await api.database.handle.db
        .selectFrom('audit_summaries')
        .select(['summary_key', 'occurrences'])
        .orderBy('summary_key')
        .execute();
      const ownStudent = await api.graphql<{ students: { nodes: { id: string }[] } }>(
        '{ students(first: 1) { nodes { id } } }',
        {},
        formMaster,
      );
      await api.graphql(
        'query ($id: ID!) { node(id: $id) { id } }',
        { id: ownStudent.body.data!.students.nodes[0]!.id },
        formMaster,
      );
      await api.graphql('query ($id: ID!) { node(id: $id) { id } }', { id: otherSchoolStudents[0] });
      await api.graphql(
        'query ($id: ID!) { node(id: $id) { id } }',
        { id: otherSchoolStudents[0] },
        await api.signIn('district.admin@pastoral.example'),
      );
      const after = await api.database.handle.db
        .selectFrom('audit_summaries')
        .select(['summary_key', 'occurrences'])
        .orderBy('summary_key')
        .execute();
      expect(after).toEqual(before);
    });
  });
}
