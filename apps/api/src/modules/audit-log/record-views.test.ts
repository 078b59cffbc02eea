/**
 * Staff reads of students' records are on the record (issue #19, item 13): who viewed which student, once per
 * person, student and day, written as one INSERT per page and never on the audit chain's head; shown as
 * Student.viewedBy to those who read the school's audit log.
 */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId, toGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';

const VIEWED_BY = `query ($id: ID!) {
  node(id: $id) {
    ... on Student { viewedBy(first: 10) { totalCount nodes { viewedOn firstViewedAt viewer { email } } } }
  }
}`;

interface ViewedBy {
  totalCount: number;
  nodes: { viewedOn: string; firstViewedAt: string; viewer: { email: string } | null }[];
}

for (const engine of testEngines()) {
  describe(`who viewed a student's record, on ${engine.name}`, () => {
    let api: ApiHarness;
    let formMaster: string;
    let schoolAdmin: string;
    let ownStudent: string;

    beforeAll(async () => {
      api = await startApiHarness(engine);
      formMaster = await api.signIn('form.master@s01.pastoral.example');
      schoolAdmin = await api.signIn('school.admin@s01.pastoral.example');
      // A student of the form master's classroom that nobody has viewed yet (reading even an id is a view).
      const { db } = api.database.handle;
      const student = await db
        .selectFrom('students')
        .select(['id', 'school_id'])
        .where(
          'classroom_id',
          'in',
          db
            .selectFrom('classroom_assignments')
            .innerJoin('users', 'users.id', 'classroom_assignments.user_id')
            .select('classroom_assignments.classroom_id')
            .where('users.email', '=', 'form.master@s01.pastoral.example'),
        )
        .orderBy('id')
        .executeTakeFirstOrThrow();
      ownStudent = toGlobalId('Student', { schoolId: student.school_id, id: student.id });
    });
    afterAll(() => api.close());

    const viewsOf = async (studentGlobalId: string) =>
      api.database.handle.db
        .selectFrom('student_record_views')
        .innerJoin('users', 'users.id', 'student_record_views.user_id')
        .select(['users.email', 'student_record_views.viewed_on', 'student_record_views.first_viewed_at'])
        .where('student_record_views.student_id', '=', fromGlobalId(studentGlobalId)!.key.id)
        .execute();

    it("records a form master's view of a student's page once a day, off the audit chain", async () => {
      const page = '{ node(id: "%") { ... on Student { fullName riskProfile { level } } } }';
      const first = await api.graphql(page.replace('%', ownStudent), {}, formMaster);
      expect(first.body.errors).toBeUndefined();
      const views = await viewsOf(ownStudent);
      expect(views.map((view) => view.email)).toContain('form.master@s01.pastoral.example');
      const inserts = first.statements.filter((statement) => /student_record_views/.test(statement));
      expect(inserts).toHaveLength(1);
      // A read changes nothing: the chain head, which every audited change waits on, is not touched.
      expect(first.statements.filter((statement) => /audit_chain_head|audit_log/.test(statement))).toEqual([]);

      const again = await api.graphql(page.replace('%', ownStudent), {}, formMaster);
      expect(again.statements.filter((statement) => /student_record_views/.test(statement))).toEqual([]);
      expect(await viewsOf(ownStudent)).toEqual(views);
    });

    it('records a district admin listing 100 students as one insert of 100 views', async () => {
      const districtAdmin = await api.signIn('district.admin@pastoral.example');
      const before = await api.database.handle.db
        .selectFrom('student_record_views')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      const list = await api.graphql<{ students: { nodes: { id: string }[] } }>(
        '{ students(first: 100, orderBy: { field: NAME, direction: DESC }) { nodes { id fullName } } }',
        {},
        districtAdmin,
      );
      expect(list.body.data!.students.nodes).toHaveLength(100);
      expect(list.statements.filter((statement) => /student_record_views/.test(statement))).toHaveLength(1);
      const after = await api.database.handle.db
        .selectFrom('student_record_views')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(after.n) - Number(before.n)).toBe(100);
    });

    it("shows who viewed a record to the school's admin, and to nobody who does not read its audit log", async () => {
      await api.graphql(`{ node(id: "${ownStudent}") { ... on Student { fullName } } }`, {}, formMaster);
      // What is stored before the admin looks: the admin's own look goes on the record as the answer leaves.
      const stored = await viewsOf(ownStudent);
      const shown = await api.graphql<{ node: { viewedBy: ViewedBy | null } }>(
        VIEWED_BY,
        { id: ownStudent },
        schoolAdmin,
      );
      expect(shown.body.errors).toBeUndefined();
      const viewedBy = shown.body.data!.node.viewedBy!;
      expect(viewedBy.totalCount).toBe(stored.length);
      expect((await viewsOf(ownStudent)).map((view) => view.email)).toContain('school.admin@s01.pastoral.example');
      const formMasters = viewedBy.nodes.filter((view) => view.viewer?.email === 'form.master@s01.pastoral.example');
      expect(formMasters).toHaveLength(1);
      expect(formMasters[0]!.viewedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);

      // The form master sees the student, not who else looked at them.
      const hidden = await api.graphql<{ node: { viewedBy: ViewedBy | null } }>(
        VIEWED_BY,
        { id: ownStudent },
        formMaster,
      );
      expect(hidden.body.data!.node.viewedBy).toBeNull();
      // Another school's admin does not see the student at all.
      const elsewhere = await api.graphql<{ node: unknown }>(
        VIEWED_BY,
        { id: ownStudent },
        await api.signIn('form.master@s02.pastoral.example'),
      );
      expect(elsewhere.body.data!.node).toBeNull();
    });

    it("keeps an integrator's reads as disclosures, not views, and records nothing for a refused request", async () => {
      const created = await api.graphql<{ createApiToken: { token: string } }>(
        'mutation { createApiToken(input: { name: "Views", scopes: [STUDENTS_READ] }) { token } }',
        {},
        schoolAdmin,
      );
      const token = created.body.data!.createApiToken.token;
      const countViews = async () =>
        Number(
          (
            await api.database.handle.db
              .selectFrom('student_record_views')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await countViews();
      const read = await api.graphqlWithToken('{ students(first: 5) { nodes { fullName } } }', {}, token);
      expect(read.status).toBe(200);
      const refused = await api.graphql('{ students(first: 101) { nodes { fullName } } }', {}, formMaster);
      expect(refused.status).toBe(400);
      expect(await countViews()).toBe(before);
    });
  });
}
