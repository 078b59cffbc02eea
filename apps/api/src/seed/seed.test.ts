import {
  ALERT_STATUSES,
  CASE_OUTCOMES,
  CASE_STATUSES,
  type DatabaseHandle,
  OPEN_ALERT_STATUSES,
  type TableName,
} from '@pastoral/db';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstBrokenLink } from '../modules/audit-log/audit-chain.ts';
import { chainOf } from '../modules/audit-log/audit-chains.ts';
import { verifyPassword } from '../modules/auth/password.ts';
import { assessRisk, DEFAULT_RISK_RULES } from '../modules/risk/risk.rules.ts';
import { WELL_KNOWN_ACCOUNTS } from './well-known-accounts.ts';
import { SEED_PROFILES } from './profiles.ts';
import { SeedError, seedDatabase } from './seed.ts';

const AS_OF = new Date('2026-11-30T00:00:00Z');
const PASSWORD = 'pastoral-demo';
const demo = SEED_PROFILES.demo;

const count = async (handle: DatabaseHandle, table: TableName) =>
  Number(
    (
      await handle.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** Every row of a table in primary-key order, without columns that are random by design (password salts). */
async function dump(handle: DatabaseHandle, table: TableName, orderBy: string[]) {
  const rows = await handle.db
    .selectFrom(table)
    .selectAll()
    .orderBy(orderBy as never)
    .execute();
  return rows.map((row) => {
    const { password_hash: _ignored, ...rest } = row as Record<string, unknown>;
    return rest;
  });
}

const ORDER_BY: Partial<Record<TableName, string[]>> = {
  attendance_records: ['student_id', 'date'],
  risk_profiles: ['student_id'],
  case_alerts: ['case_id', 'alert_id'],
};
const DUMPED_TABLES: TableName[] = [
  'schools',
  'classrooms',
  'users',
  'classroom_assignments',
  'students',
  'risk_profiles',
  'attendance_records',
  'behaviour_incidents',
  'assessment_results',
  'alerts',
  'intervention_cases',
  'case_alerts',
  'case_events',
  'audit_log',
];

const firstDumps = new Map<string, unknown>();

for (const engine of testEngines()) {
  describe(`seeding the demo profile on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await engine.createDatabase();
      await seedDatabase(database.handle, { profile: demo, seed: 7, asOf: AS_OF, password: PASSWORD });
    });
    afterAll(() => database.drop());

    it('makes the counts the profile asks for', async () => {
      const { handle } = database;
      expect(await count(handle, 'schools')).toBe(demo.schools);
      expect(await count(handle, 'classrooms')).toBe(demo.schools * demo.classroomsPerSchool);
      expect(await count(handle, 'students')).toBe(demo.schools * demo.classroomsPerSchool * demo.studentsPerClassroom);
      expect(await count(handle, 'users')).toBe(demo.schools * demo.staffPerSchool + demo.districtAdmins);
      expect(await count(handle, 'risk_profiles')).toBe(await count(handle, 'students'));
      expect(await count(handle, 'alerts')).toBe(demo.alerts);
      expect(await count(handle, 'intervention_cases')).toBe(demo.cases);
      expect(await count(handle, 'audit_log')).toBe(demo.auditEntries);
      const activeStudents = await handle.db
        .selectFrom('students')
        .where('is_active', '=', 1)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(await count(handle, 'attendance_records')).toBe(Number(activeStudents.n) * demo.schoolDays);
    });

    it('has alerts and cases in every state, so every screen has something to show', async () => {
      const { db } = database.handle;
      const alertStatuses = await db.selectFrom('alerts').select('status').distinct().execute();
      expect(alertStatuses.map((r) => r.status).sort()).toEqual([...ALERT_STATUSES].sort());
      const caseStatuses = await db.selectFrom('intervention_cases').select('status').distinct().execute();
      expect(caseStatuses.map((r) => r.status).sort()).toEqual([...CASE_STATUSES].sort());
      const outcomes = await db
        .selectFrom('intervention_cases')
        .select('outcome')
        .distinct()
        .where('status', '=', 'CLOSED')
        .execute();
      expect(outcomes.map((r) => r.outcome).sort()).toEqual([...CASE_OUTCOMES].sort());
      const kinds = await db.selectFrom('case_events').select('kind').distinct().execute();
      expect(kinds.map((r) => r.kind).sort()).toEqual(['NOTE', 'OPENED', 'REASSIGNED', 'STATUS_CHANGED']);
      const restricted = await db
        .selectFrom('case_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('restricted', '=', 1)
        .executeTakeFirstOrThrow();
      expect(Number(restricted.n)).toBeGreaterThan(0);
      const overdue = await db
        .selectFrom('intervention_cases')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '!=', 'CLOSED')
        .where('next_review_at', '<', '2026-11-30')
        .executeTakeFirstOrThrow();
      expect(Number(overdue.n)).toBeGreaterThan(0);
    });

    it('creates the well-known sign-ins with argon2id hashes of the seed password', async () => {
      for (const [email, account] of Object.entries(WELL_KNOWN_ACCOUNTS)) {
        const user = await database.handle.db
          .selectFrom('users')
          .selectAll()
          .where('email', '=', email)
          .executeTakeFirstOrThrow();
        expect(user.role).toBe(account.role);
        expect(user.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
        expect(await verifyPassword(user.password_hash!, PASSWORD)).toBe(true);
        expect(await verifyPassword(user.password_hash!, 'not-the-password')).toBe(false);
      }
      const lead = await database.handle.db
        .selectFrom('users')
        .select(['can_view_restricted', 'school_id'])
        .where('email', '=', 'pastoral.lead@s01.pastoral.example')
        .executeTakeFirstOrThrow();
      expect(lead).toEqual({ can_view_restricted: 1, school_id: 1 });
    });

    it('gives the form master of school 1 a classroom with new alerts and open cases', async () => {
      const { db } = database.handle;
      const formMaster = await db
        .selectFrom('users')
        .select(['id', 'school_id'])
        .where('email', '=', 'form.master@s01.pastoral.example')
        .executeTakeFirstOrThrow();
      expect(formMaster.school_id).toBe(1);
      const classroom = await db
        .selectFrom('classroom_assignments')
        .innerJoin('classrooms', 'classrooms.id', 'classroom_assignments.classroom_id')
        .select(['classrooms.school_id'])
        .where('classroom_assignments.user_id', '=', formMaster.id)
        .where('classroom_assignments.kind', '=', 'FORM_MASTER')
        .executeTakeFirstOrThrow();
      expect(classroom.school_id).toBe(1);
      const newAlerts = await db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('assigned_to', '=', formMaster.id)
        .where('status', '=', 'NEW')
        .executeTakeFirstOrThrow();
      const openCases = await db
        .selectFrom('intervention_cases')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('assigned_to', '=', formMaster.id)
        .where('status', '!=', 'CLOSED')
        .executeTakeFirstOrThrow();
      expect(Number(newAlerts.n)).toBeGreaterThan(0);
      expect(Number(openCases.n)).toBeGreaterThan(0);
    });

    it('stores risk profiles that the rules give for the stored records', async () => {
      const { db } = database.handle;
      const profiles = await db.selectFrom('risk_profiles').selectAll().orderBy('student_id').limit(120).execute();
      const asOf = '2026-11-30';
      const windowStart = '2026-10-31';
      for (const profile of profiles) {
        const attendance = await db
          .selectFrom('attendance_records')
          .select('status')
          .where('student_id', '=', profile.student_id)
          .orderBy('date', 'desc')
          .limit(DEFAULT_RISK_RULES.attendance.windowSchoolDays)
          .execute();
        const incidents = await db
          .selectFrom('behaviour_incidents')
          .selectAll()
          .where('student_id', '=', profile.student_id)
          .where('occurred_on', '>', windowStart)
          .where('occurred_on', '<=', asOf)
          .execute();
        const failing = await db
          .selectFrom('assessment_results')
          .select('subject')
          .where('student_id', '=', profile.student_id)
          .where('passing', '=', 0)
          .execute();
        const attended = attendance.filter((a) => a.status === 'PRESENT' || a.status === 'LATE').length;
        const assessment = assessRisk({
          attendanceRate: attendance.length ? attended / attendance.length : null,
          attendanceDays: attendance.length,
          minorIncidents: incidents.filter((i) => i.severity === 'MINOR').length,
          majorIncidents: incidents.filter((i) => i.severity === 'MAJOR').length,
          suspensions: incidents.filter((i) => i.suspension_days > 0).length,
          failingSubjects: failing.map((f) => f.subject),
        });
        expect({ student: profile.student_id, level: profile.level, reasons: JSON.parse(profile.reasons) }).toEqual({
          student: profile.student_id,
          level: assessment.level,
          reasons: assessment.reasons,
        });
      }
    });

    it('raises one open alert per student and indicator above ON_TRACK, as the profiles say', async () => {
      const { db } = database.handle;
      const open = await db
        .selectFrom('alerts')
        .select(['student_id', 'type', 'severity'])
        .where('status', 'in', OPEN_ALERT_STATUSES)
        .where('raised_by', 'is', null)
        .execute();
      const profiles = new Map(
        (await db.selectFrom('risk_profiles').selectAll().execute()).map((p) => [p.student_id, p]),
      );
      expect(open.length).toBeGreaterThan(0);
      const levelOf = {
        ATTENDANCE: 'attendance_level',
        BEHAVIOUR: 'behaviour_level',
        ACADEMIC: 'coursework_level',
      } as const;
      for (const alert of open) {
        const profile = profiles.get(alert.student_id)!;
        expect(alert.severity).toBe(profile[levelOf[alert.type as keyof typeof levelOf]]);
      }
      const keys = open.map((a) => `${a.student_id}:${a.type}`);
      expect(new Set(keys).size).toBe(keys.length);
    });

    it('writes an audit log whose hash chains verify, each chain head at its last entry', async () => {
      const { db } = database.handle;
      const entries = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
      // A chain per school and one for the district's entries, each linked by its own positions.
      const chains = new Map<number, (typeof entries)[number][]>();
      for (const entry of entries) {
        const chain = chainOf(entry.school_id);
        chains.set(chain, [...(chains.get(chain) ?? []), entry]);
      }
      expect(chains.size).toBeGreaterThan(2);
      const linked = (chain: (typeof entries)[number][]) => chain.map((e) => ({ ...e, seq: Number(e.chain_seq) }));
      for (const chain of chains.values()) expect(firstBrokenLink(linked(chain))).toBeNull();
      const heads = await db.selectFrom('audit_chain_head').selectAll().where('id', '>=', 0).orderBy('id').execute();
      expect(heads).toEqual(
        [...chains]
          .sort(([a], [b]) => a - b)
          .map(([id, chain]) => ({ id, seq: chain.length, hash: chain.at(-1)!.hash })),
      );
      // The check is real: an edited entry breaks its chain at that entry.
      const school1 = linked(chains.get(1)!);
      const tampered = school1.map((e) => (e.seq === 100 ? { ...e, action: 'case.closed' } : e));
      expect(firstBrokenLink(tampered)).toBe(100);
      const timesInOrder = entries.every((e, i) => i === 0 || entries[i - 1]!.occurred_at <= e.occurred_at);
      expect(timesInOrder).toBe(true);
      expect(entries.map((e) => Number(e.seq))).toEqual(entries.map((_, i) => i + 1));
    });

    it('refuses to seed a database that already holds data', async () => {
      await expect(
        seedDatabase(database.handle, { profile: demo, seed: 7, asOf: AS_OF, password: PASSWORD }),
      ).rejects.toThrow(
        new SeedError(
          'The database already holds data (2 schools): seed into an empty database, or add --reset to drop and recreate every table first.',
        ),
      );
    });

    it('is deterministic: the same seed and date give the same rows on every engine', async () => {
      for (const table of DUMPED_TABLES) {
        const rows = await dump(database.handle, table, ORDER_BY[table] ?? ['id']);
        const first = firstDumps.get(table);
        if (first === undefined) firstDumps.set(table, rows);
        else expect(rows, `${table} differs between engines`).toEqual(first);
      }
    });
  });
}

describe('seed determinism', () => {
  const engine = testEngines()[0]!;

  it('gives the same rows again for the same seed, and other rows for another seed', async () => {
    const [a, b, c] = await Promise.all([engine.createDatabase(), engine.createDatabase(), engine.createDatabase()]);
    try {
      const options = { profile: demo, asOf: AS_OF, password: PASSWORD };
      await seedDatabase(a.handle, { ...options, seed: 11 });
      await seedDatabase(b.handle, { ...options, seed: 11 });
      await seedDatabase(c.handle, { ...options, seed: 12 });
      for (const table of ['students', 'alerts', 'intervention_cases', 'audit_log'] as const) {
        expect(await dump(b.handle, table, ['id'])).toEqual(await dump(a.handle, table, ['id']));
        expect(await dump(c.handle, table, ['id'])).not.toEqual(await dump(a.handle, table, ['id']));
      }
    } finally {
      await Promise.all([a.drop(), b.drop(), c.drop()]);
    }
  });

  it('refuses to seed before the schema exists', async () => {
    const empty = await engine.createDatabase({ migrate: false });
    try {
      await expect(
        seedDatabase(empty.handle, { profile: demo, seed: 1, asOf: AS_OF, password: PASSWORD }),
      ).rejects.toThrow('The database has no schema yet: run `pnpm pastoral migrate` first.');
    } finally {
      await empty.drop();
    }
  });
});
