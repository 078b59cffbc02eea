/**
 * Shard-ready by school (docs/SCALING.md, section 4): every statement the API sends on a school's table names
 * the school. The API harness holds every request of the suite to that rule (api-harness.ts); these tests prove
 * that it does, that global ids carry the school a lookup needs, and that the reviewed district-wide reads are
 * used by district-wide readers alone.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId, toGlobalId } from '../../graphql/relay.ts';
import { DISTRICT_WIDE_REASONS } from '../../school-scope.ts';
import { archiveOlderThan, exportEntries, verifyChain } from '../../modules/audit-log/audit.maintenance.ts';
import { purgeBefore } from '../../modules/audit-log/audit.retention.ts';
import { importCsv } from '../../modules/ingest/csv-import.ts';
import { sweepExpired } from '../../modules/maintenance/sweep.ts';
import { recomputeAll } from '../../modules/risk/risk.engine.ts';
import { DEFAULT_RISK_RULES } from '../../modules/risk/risk.rules.ts';
import { SEED_PROFILES } from '../../seed/profiles.ts';
import { seedDatabase } from '../../seed/seed.ts';
import { AS_OF, type ApiHarness, DEMO_PASSWORD, shardingProblems, startApiHarness } from '../../testing/api-harness.ts';

const DISTRICT_WIDE_MARK = /\/\* district-wide: ([a-z-]+) \*\//g;
const marksIn = (statements: string[]) =>
  new Set(statements.flatMap((statement) => [...statement.matchAll(DISTRICT_WIDE_MARK)].map((match) => match[1])));

for (const engine of testEngines()) {
  describe(`sharding by school on ${engine.name}`, () => {
    let api: ApiHarness;
    const cookies: Record<string, string> = {};
    beforeAll(async () => {
      api = await startApiHarness(engine);
      for (const email of [
        'district.admin@pastoral.example',
        'school.admin@s01.pastoral.example',
        'pastoral.lead@s01.pastoral.example',
        'form.master@s01.pastoral.example',
      ]) {
        cookies[email] = await api.signIn(email);
      }
    });
    afterAll(() => api.close());

    /**
     * A request held open by its body, while the test sends a statement of its own on the API's database: the
     * harness records it as the request's, as it would one the API sent.
     */
    async function requestWhile(statement: () => Promise<unknown>) {
      const body = new PassThrough();
      const response = api.request({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', cookie: cookies['school.admin@s01.pastoral.example']! },
        payload: body,
      });
      await statement();
      body.end(JSON.stringify({ query: '{ viewer { role } }' }));
      return response;
    }

    it('fails the test of a request during which a school table is read without its school', async () => {
      const { db } = api.database.handle;
      await expect(
        requestWhile(() => db.selectFrom('alerts').select('id').where('id', '=', 1).execute()),
      ).rejects.toThrow(
        /statement\(s\) that a deployment sharded by school would scatter[\s\S]*`alerts` is read without its school/,
      );
      await expect(
        requestWhile(() => db.updateTable('students').set({ is_active: 1 }).where('id', '=', 0).execute()),
      ).rejects.toThrow(/`students` is read without its school/);
    });

    it('passes a request whose statements name their school, or touch only district tables', async () => {
      const { db } = api.database.handle;
      const scoped = await requestWhile(() =>
        db.selectFrom('alerts').select('id').where('school_id', '=', 1).where('id', '=', 1).execute(),
      );
      expect(scoped.status).toBe(200);
      const district = await requestWhile(() => db.selectFrom('users').select('id').where('id', '=', 1).execute());
      expect(district.status).toBe(200);
    });

    it("carries the school in a school row's global id, and finds nothing where the school is not the row's", async () => {
      const { db } = api.database.handle;
      const student = await db
        .selectFrom('students')
        .select(['id', 'school_id'])
        .where('school_id', '=', 1)
        .orderBy('id')
        .executeTakeFirstOrThrow();
      const query = 'query ($id: ID!) { node(id: $id) { id ... on Student { school { code } } } }';
      const cookie = cookies['district.admin@pastoral.example']!;
      const id = toGlobalId('Student', { schoolId: 1, id: student.id });
      expect(fromGlobalId(id)).toEqual({ type: 'Student', key: { schoolId: 1, id: student.id } });
      const found = await api.graphql(query, { id }, cookie);
      expect(found.body.data).toEqual({ node: { id, school: { code: 'S01' } } });
      // The lookup names the school it reads.
      expect(
        found.statements.some((sql) =>
          /from [`"]students[`"] where \([`"]students[`"]\.[`"]school_id[`"] in \(\?\)/.test(sql),
        ),
      ).toBe(true);
      // The same row under another school's name is no row at all, even for a district admin.
      const forged = await api.graphql(query, { id: toGlobalId('Student', { schoolId: 2, id: student.id }) }, cookie);
      expect(forged.body).toEqual({ data: { node: null } });
      // An id without its school is not one of ours, and a filter taking it says what to send.
      const bare = Buffer.from(`Student:${student.id}`).toString('base64url');
      expect((await api.graphql(query, { id: bare }, cookie)).body).toEqual({ data: { node: null } });
      const filtered = await api.graphql(
        'query ($id: ID!) { alerts(filter: { studentId: $id }) { totalCount } }',
        { id: bare },
        cookie,
      );
      expect(filtered.body.errors?.[0]?.message).toMatch(/filter.studentId must be the id of a Student/);
    });

    it('reads across the district on purpose for district admins alone, with a reviewed reason', async () => {
      const lists = `{
        students(first: 5) { totalCount nodes { id } }
        alerts(first: 5, filter: { status: [NEW] }) { totalCount nodes { id } }
        cases(first: 5, filter: { status: [OPEN] }) { totalCount nodes { id } }
        classrooms(first: 5) { totalCount nodes { id } }
        auditLog(first: 5) { nodes { id } }
      }`;
      const district = await api.graphql(lists, {}, cookies['district.admin@pastoral.example']);
      expect(district.body.errors).toBeUndefined();
      expect(marksIn(district.statements)).toEqual(new Set(['district-lists', 'district-audit-log']));
      for (const reason of marksIn(district.statements)) expect(Object.keys(DISTRICT_WIDE_REASONS)).toContain(reason);
      for (const email of [
        'school.admin@s01.pastoral.example',
        'pastoral.lead@s01.pastoral.example',
        'form.master@s01.pastoral.example',
      ]) {
        const school = await api.graphql(lists, {}, cookies[email]);
        expect({ email, marks: [...marksIn(school.statements)] }).toEqual({ email, marks: [] });
      }
      // A district admin who names a school reads that school's shard alone.
      const oneSchool = await api.graphql(
        'query ($school: ID!) { students(first: 5, filter: { schoolId: $school }) { totalCount nodes { id } } }',
        { school: toGlobalId('School', 1) },
        cookies['district.admin@pastoral.example'],
      );
      expect(
        oneSchool.statements.filter((sql) => /students/.test(sql)).every((sql) => /school_id[`"]? = \?/.test(sql)),
      ).toBe(true);
    });
  });
}

for (const engine of testEngines()) {
  describe(`sharding by school of the commands and jobs on ${engine.name}`, () => {
    let database: TestDatabase;
    let recording: string[] | null = null;
    beforeAll(async () => {
      database = await engine.createDatabase({
        log: (event) => {
          if (recording && event.level === 'query') recording.push(event.query.sql);
        },
      });
      await seedDatabase(database.handle, {
        profile: SEED_PROFILES.demo,
        seed: 5,
        asOf: AS_OF,
        password: DEMO_PASSWORD,
      });
    });
    afterAll(() => database.drop());

    /** The statements `work` sends that would scatter, with their problems. */
    async function scattering(work: () => Promise<unknown>) {
      const statements: string[] = [];
      recording = statements;
      try {
        await work();
      } finally {
        recording = null;
      }
      expect(statements.length).toBeGreaterThan(0);
      return statements.flatMap((sql) => {
        const problems = shardingProblems(sql);
        return problems.length === 0 ? [] : [{ sql: sql.replace(/\s+/g, ' '), problems }];
      });
    }

    it("recomputes the district school by school, and imports a school's file, naming the school throughout", async () => {
      const { db, dialect } = database.handle;
      const actor = { type: 'SYSTEM' as const, userId: null, apiTokenId: null, requestId: null, ip: null };
      const context = { db, dialect, rules: DEFAULT_RISK_RULES, actor, now: AS_OF };
      expect(await scattering(() => recomputeAll(context))).toEqual([]);
      const students = await db
        .selectFrom('students')
        .select('external_id')
        .where('school_id', '=', 1)
        .orderBy('id')
        .limit(2)
        .execute();
      const path = join(mkdtempSync(join(tmpdir(), 'pastoral-sharding-')), 'attendance.csv');
      writeFileSync(
        path,
        `student_external_id,date,status\n${students.map((s) => `${s.external_id},2026-11-30,ABSENT_AUTHORISED`).join('\n')}\n`,
      );
      const report = { rejected: () => undefined, progress: () => undefined };
      const imported = await scattering(() =>
        importCsv(
          {
            db,
            dialect,
            rules: DEFAULT_RISK_RULES,
            now: AS_OF,
            kind: 'attendance',
            file: path,
            schoolId: 1,
            dryRun: false,
          },
          report,
        ),
      );
      expect(imported).toEqual([]);
    });

    it('walks the audit chain as one district chain, on the reviewed reason alone, and sweeps district tables', async () => {
      const { db } = database.handle;
      const audit = await scattering(async () => {
        await archiveOlderThan(db, new Date(AS_OF.getTime() - 60 * 86_400_000), { batchSize: 500, now: AS_OF });
        expect(await verifyChain(db)).toMatchObject({ ok: true });
        await exportEntries(db, { from: new Date('2026-01-01T00:00:00Z'), to: AS_OF }, async () => undefined);
        await exportEntries(
          db,
          { from: new Date('2026-01-01T00:00:00Z'), to: AS_OF, schoolId: 1 },
          async () => undefined,
        );
        await purgeBefore(database.handle, new Date('2025-01-01T00:00:00Z'), {
          force: true,
          batchSize: 500,
          now: AS_OF,
        });
      });
      expect(audit).toEqual([]);
      expect(await scattering(() => sweepExpired(database.handle, AS_OF))).toEqual([]);
    });
  });
}
