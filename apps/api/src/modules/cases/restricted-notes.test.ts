/** Restricted notes: everyone who can see the case sees that one exists; only the safeguarding lead reads it. */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';

const QUERY = `query ($id: ID!) { node(id: $id) { ... on InterventionCase {
  timeline(first: 100) { nodes { id kind restricted body } }
} } }`;

type Timeline = {
  node: { timeline: { nodes: { id: string; kind: string; restricted: boolean; body: string | null }[] } };
};

for (const engine of testEngines()) {
  describe(`restricted case notes on ${engine.name}`, () => {
    let api: ApiHarness;
    let caseId: string;
    let noteId: number;
    beforeAll(async () => {
      api = await startApiHarness(engine);
      const note = await api.database.handle.db
        .selectFrom('case_events')
        .select(['case_events.id', 'case_events.case_id'])
        .where('case_events.restricted', '=', 1)
        .where('case_events.school_id', '=', 1)
        .orderBy('case_events.id')
        .executeTakeFirstOrThrow();
      caseId = toGlobalId('InterventionCase', { schoolId: 1, id: note.case_id });
      noteId = note.id;
    });
    afterAll(() => api.close());

    const readsOfNote = () =>
      api.database.handle.db
        .selectFrom('audit_log')
        .select(['user_id', 'request_id', 'details'])
        .where('action', '=', 'case_note.restricted_read')
        .where('entity_id', '=', noteId)
        .where('request_id', 'is not', null)
        .where('occurred_at', '>=', '2026-11-30 00:00:00.000')
        .execute();

    it('shows a school admin that the note exists, never its text, and records no read', async () => {
      const cookie = await api.signIn('school.admin@s01.pastoral.example');
      const response = await api.graphql<Timeline>(QUERY, { id: caseId }, cookie);
      const note = response.body.data!.node.timeline.nodes.find(
        (n) => n.id === toGlobalId('CaseEvent', { schoolId: 1, id: noteId }),
      );
      expect(note).toMatchObject({ kind: 'NOTE', restricted: true, body: null });
      expect(await readsOfNote()).toEqual([]);
    });

    it('shows the safeguarding lead the text, and every read lands in the audit log with its request', async () => {
      const cookie = await api.signIn('pastoral.lead@s01.pastoral.example');
      const response = await api.graphql<Timeline>(QUERY, { id: caseId }, cookie);
      const note = response.body.data!.node.timeline.nodes.find(
        (n) => n.id === toGlobalId('CaseEvent', { schoolId: 1, id: noteId }),
      );
      expect(note?.body).toEqual(expect.any(String));
      expect(note?.body?.length).toBeGreaterThan(10);
      const reads = await readsOfNote();
      expect(reads).toHaveLength(1);
      expect(reads[0]?.request_id).toBe(response.headers['x-request-id']);
    });
  });
}
