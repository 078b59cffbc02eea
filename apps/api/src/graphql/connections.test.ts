/**
 * Keyset paging: walking a connection forward or backward returns every row exactly once, in the order asked
 * for, even while rows are inserted during the walk; bad paging arguments are refused with what to send.
 */
import { toTimestamp } from '@pastoral/db';
import { buildStudent, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type GraphQLResponse, startApiHarness } from '../testing/api-harness.ts';
import { toGlobalId } from './relay.ts';

interface Page {
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

async function walk(
  api: ApiHarness,
  cookie: string,
  field: 'cases' | 'students' | 'alerts',
  orderBy: { field: string; direction: string },
  backward: boolean,
  onPage?: (index: number) => Promise<void>,
): Promise<string[]> {
  const filter = field === 'students' ? '' : ', filter: {}';
  const orderType = { cases: 'CaseOrder', students: 'StudentOrder', alerts: 'AlertOrder' }[field];
  const query = `query ($size: Int, $cursor: String, $orderBy: ${orderType}) {
    list: ${field}(${backward ? 'last: $size, before: $cursor' : 'first: $size, after: $cursor'}, orderBy: $orderBy${filter}) {
      edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    } }`;
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let index = 0; index < 200; index++) {
    const response: GraphQLResponse<{ list: Page }> = await api.graphql<{ list: Page }>(
      query,
      { size: 17, cursor, orderBy },
      cookie,
    );
    expect(response.body.errors).toBeUndefined();
    const page: Page = response.body.data!.list;
    const pageIds = page.edges.map((edge) => edge.node.id);
    ids.push(...(backward ? pageIds.reverse() : pageIds));
    await onPage?.(index);
    const more = backward ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage;
    if (!more) return backward ? ids.reverse() : ids;
    cursor = backward ? page.pageInfo.startCursor : page.pageInfo.endCursor;
  }
  throw new Error('the walk did not end');
}

for (const engine of testEngines()) {
  describe(`cursor connections on ${engine.name}`, () => {
    let api: ApiHarness;
    let cookie: string;
    beforeAll(async () => {
      api = await startApiHarness(engine);
      cookie = await api.signIn('pastoral.lead@s01.pastoral.example');
    });
    afterAll(() => api.close());

    for (const field of ['CREATED_AT', 'UPDATED_AT', 'NEXT_REVIEW_AT', 'PRIORITY']) {
      it(`walks every case of the school once, by ${field}, forward and backward`, async () => {
        const forward = await walk(api, cookie, 'cases', { field, direction: 'DESC' }, false);
        const total = await api.database.handle.db
          .selectFrom('intervention_cases')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('school_id', '=', 1)
          .executeTakeFirstOrThrow();
        expect(new Set(forward).size).toBe(forward.length);
        expect(forward.length).toBe(Number(total.n));
        expect(await walk(api, cookie, 'cases', { field, direction: 'DESC' }, true)).toEqual(forward);
        const ascending = await walk(api, cookie, 'cases', { field, direction: 'ASC' }, false);
        expect(new Set(ascending)).toEqual(new Set(forward));
      });
    }

    // Alerts and cases are sorted as ids and keys, then joined to their rows (relay.ts, WideRowTable).
    for (const field of ['ALERT_DATE', 'SEVERITY']) {
      it(`walks every alert of the school once, by ${field}, in the database's own order, forward and backward`, async () => {
        const forward = await walk(api, cookie, 'alerts', { field, direction: 'DESC' }, false);
        let expected = api.database.handle.db.selectFrom('alerts').select('id').where('school_id', '=', 1);
        if (field === 'SEVERITY') expected = expected.orderBy('severity', 'desc');
        const ordered = await expected.orderBy('alert_date', 'desc').orderBy('id', 'desc').execute();
        expect(forward).toEqual(ordered.map((row) => toGlobalId('Alert', { schoolId: 1, id: row.id })));
        expect(await walk(api, cookie, 'alerts', { field, direction: 'DESC' }, true)).toEqual(forward);
      });
    }

    it("walks a form master's alerts and cases, counted with the first page, the same forward and backward", async () => {
      const formMaster = await api.signIn('form.master@s01.pastoral.example');
      for (const [field, orderBy] of [
        ['alerts', { field: 'SEVERITY', direction: 'ASC' }],
        ['cases', { field: 'PRIORITY', direction: 'DESC' }],
      ] as const) {
        const forward = await walk(api, formMaster, field, orderBy, false);
        expect(forward.length).toBeGreaterThan(17);
        expect(new Set(forward).size).toBe(forward.length);
        expect(await walk(api, formMaster, field, orderBy, true)).toEqual(forward);
      }
    });

    for (const field of ['NAME', 'RISK']) {
      it(`walks every student once by ${field}, while new students arrive during the walk`, async () => {
        const before = await walk(api, cookie, 'students', { field, direction: 'DESC' }, false);
        const { db } = api.database.handle;
        const classroom = await db
          .selectFrom('classrooms')
          .select('id')
          .where('school_id', '=', 1)
          .executeTakeFirstOrThrow();
        const during = await walk(api, cookie, 'students', { field, direction: 'DESC' }, false, async (index) => {
          // New students land on both sides of the cursor as the walk goes.
          for (const familyName of ['Aaaa', 'Zzzz']) {
            await buildStudent(db, {
              classroom_id: classroom.id,
              family_name: `${familyName}${index}`,
              created_at: toTimestamp(new Date()),
            });
          }
        });
        const seen = new Set(during);
        expect(seen.size).toBe(during.length);
        for (const id of before) expect(seen.has(id)).toBe(true);
      });
    }

    it.each([
      ['alerts', 'alerts(first: 5, after: $after, filter: {})'],
      ['cases', 'cases(first: 5, after: $after, filter: {})'],
      ['students', 'students(first: 5, after: $after)'],
    ])(
      "counts a form master's %s with its first page, in the page's own statement, and the count is right",
      async (name, list) => {
        const formMaster = await api.signIn('form.master@s01.pastoral.example');
        const query = `query ($after: String) { list: ${list} {
          totalCount totalCountIsCapped edges { node { id } } pageInfo { hasNextPage endCursor } } }`;
        type List = {
          list: { totalCount: number; edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
        };
        const counts = (response: GraphQLResponse) => response.statements.filter((sql) => /count\(/i.test(sql));
        const first = await api.graphql<List>(query, { after: null }, formMaster);
        expect(first.body.errors).toBeUndefined();
        expect(counts(first)).toHaveLength(1);
        expect(counts(first)[0]).toMatch(/count\(\*\) over \(\)/i);
        // Walking the whole list (later pages count on their own) finds exactly that many rows.
        let seen = first.body.data!.list.edges.length;
        let page = first.body.data!.list;
        while (page.pageInfo.hasNextPage) {
          const next = await api.graphql<List>(query, { after: page.pageInfo.endCursor }, formMaster);
          expect(next.body.data!.list.totalCount).toBe(first.body.data!.list.totalCount);
          expect(counts(next).some((sql) => /over \(\)/i.test(sql))).toBe(false);
          page = next.body.data!.list;
          seen += page.edges.length;
        }
        expect(first.body.data!.list.totalCount).toBeGreaterThan(5);
        expect(seen).toBe(first.body.data!.list.totalCount);
        // School staff's lists stop at their LIMIT along an index: their total is a statement of its own, a
        // count of the students, and for alerts and cases (filtered by status and assignee at most) a sum of the
        // school's summary rows.
        const lead = await api.graphql<List>(query, { after: null }, cookie);
        const totals = lead.statements.filter((sql) => /count\(|summary_counts/i.test(sql));
        expect(totals.some((sql) => /over \(\)/i.test(sql))).toBe(false);
        expect(totals).toHaveLength(1);
        expect(totals[0]).toMatch(name === 'students' ? /count\(/i : /from `?"?summary_counts/i);
      },
    );

    it("counts an empty first page of a form master's list as none", async () => {
      const formMaster = await api.signIn('form.master@s01.pastoral.example');
      const otherClassroom = await api.database.handle.db
        .selectFrom('classrooms')
        .select('id')
        .where('school_id', '=', 2)
        .executeTakeFirstOrThrow();
      const response = await api.graphql<{ students: { totalCount: number; nodes: unknown[] } }>(
        'query ($classroom: ID!) { students(filter: { classroomId: $classroom }) { totalCount nodes { id } } }',
        { classroom: toGlobalId('Classroom', { schoolId: 2, id: otherClassroom.id }) },
        formMaster,
      );
      expect(response.body).toEqual({ data: { students: { totalCount: 0, nodes: [] } } });
    });

    it.each([
      ['{ cases(first: 0) { totalCount } }', 'first must be between 1 and 100 on cases;'],
      ['{ cases(first: 101) { totalCount } }', 'first must be between 1 and 100 on cases;'],
      ['{ cases(last: 500) { totalCount } }', 'last must be between 1 and 100 on cases;'],
      ['{ cases(first: 5, last: 5) { totalCount } }', 'Pass either first or last, not both.'],
      ['{ cases(first: 5, after: "bm9wZQ") { totalCount } }', 'after is not a cursor of this list'],
      // [1e400, 1]: JSON reads an infinite sort key, which must not reach the SQL.
      ['{ alerts(first: 1, after: "WzFlNDAwLCAxXQ") { totalCount } }', 'after is not a cursor of this list'],
      ['{ cases(first: 5, before: "x") { totalCount } }', 'before pages backward: pass last with it.'],
      ['{ cases(filter: { studentId: "nope" }) { totalCount } }', 'filter.studentId must be the id of a Student'],
      [
        '{ nodes(ids: [' + Array.from({ length: 101 }, () => '"x"').join(',') + ']) { id } }',
        'nodes takes at most 100 ids',
      ],
    ])('refuses %s with a 400 that says what to send', async (query, message) => {
      const response = await api.graphql(query, {}, cookie);
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.message).toContain(message);
    });
  });
}
