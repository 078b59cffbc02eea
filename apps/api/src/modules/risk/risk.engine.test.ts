import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DatabaseHandle, toDateOnly } from '@pastoral/db';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineContext, recomputeAll, recomputeStudents, type StudentRef } from './risk.engine.ts';
import { DEFAULT_RISK_RULES, type RiskRules } from './risk.rules.ts';
import { loadRiskRules, RiskRulesError } from './risk.rules-file.ts';
import { buildClassroomAssignment, buildStudent, buildUser } from '../../testing/factories.ts';
import { createSeededDatabase } from '../../testing/seeded-database.ts';

const NOW = new Date('2026-11-30T12:00:00Z');
const SYSTEM = { type: 'SYSTEM', userId: null, apiTokenId: null, requestId: null, ip: null } as const;

/** The last `count` weekdays before NOW, newest first. */
function schoolDays(count: number): string[] {
  const days: string[] = [];
  for (let ms = NOW.getTime() - 86_400_000; days.length < count; ms -= 86_400_000) {
    const weekday = new Date(ms).getUTCDay();
    if (weekday !== 0 && weekday !== 6) days.push(toDateOnly(new Date(ms)));
  }
  return days;
}

for (const engine of testEngines()) {
  describe(`the risk engine on ${engine.name}`, () => {
    let database: TestDatabase;
    let handle: DatabaseHandle;
    let student: StudentRef;
    let formMasterId: number;
    const context = (rules: RiskRules = DEFAULT_RISK_RULES): EngineContext => ({
      db: handle.db,
      dialect: handle.dialect,
      rules,
      actor: SYSTEM,
      now: NOW,
    });

    /** Sets the student's last 30 school days: `absent` of them absent (the most recent ones), the rest present. */
    async function attendance(absent: number) {
      await handle.db.deleteFrom('attendance_records').where('student_id', '=', student.id).execute();
      await handle.db
        .insertInto('attendance_records')
        .values(
          schoolDays(30).map((date, index) => ({
            student_id: student.id,
            date,
            school_id: student.school_id,
            status: index < absent ? 'ABSENT_UNAUTHORISED' : 'PRESENT',
            recorded_at: '2026-11-30 09:00:00.000',
          })),
        )
        .execute();
    }

    const openAlerts = () =>
      handle.db
        .selectFrom('alerts')
        .selectAll()
        .where('student_id', '=', student.id)
        .where('open_indicator', 'is not', null)
        .execute();

    beforeAll(async () => {
      database = await engine.createDatabase();
      handle = database.handle;
      const row = await buildStudent(handle.db);
      student = { id: row.id, school_id: row.school_id, classroom_id: row.classroom_id };
      const formMaster = await buildUser(handle.db, { school_id: row.school_id });
      formMasterId = formMaster.id;
      await buildClassroomAssignment(handle.db, { classroom_id: row.classroom_id, user_id: formMaster.id });
    });
    afterAll(() => database.drop());

    it('raises one alert when attendance falls into a band, assigned to the form master, with its reason', async () => {
      await attendance(2); // 28 of 30: 93.3%, WATCH
      const summary = await recomputeStudents(context(), [student]);
      expect(summary).toMatchObject({ students: 1, alertsRaised: 1 });
      const profile = await handle.db
        .selectFrom('risk_profiles')
        .selectAll()
        .where('student_id', '=', student.id)
        .executeTakeFirstOrThrow();
      expect(profile).toMatchObject({
        level: 1,
        attendance_level: 1,
        rules_version: DEFAULT_RISK_RULES.version,
        attendance_days: 30,
      });
      expect(JSON.parse(profile.reasons)).toEqual([
        { indicator: 'ATTENDANCE', level: 'WATCH', text: 'attendance 93.3% over the last 30 school days' },
      ]);
      expect(await openAlerts()).toMatchObject([
        {
          type: 'ATTENDANCE',
          severity: 1,
          status: 'NEW',
          assigned_to: formMasterId,
          reason: 'attendance 93.3% over the last 30 school days',
          alert_date: '2026-11-30',
        },
      ]);
    });

    it('does not raise again while the indicator stays in its band (no floods)', async () => {
      const summary = await recomputeStudents(context(), [student]);
      expect(summary).toMatchObject({ alertsRaised: 0, alertsRaisedInBand: 0, alertsResolved: 0, levelChanged: 0 });
      expect(await openAlerts()).toHaveLength(1);
    });

    it('moves the open alert into the worse band instead of opening a second one', async () => {
      await attendance(4); // 26 of 30: 86.7%, AT_RISK
      const summary = await recomputeStudents(context(), [student]);
      expect(summary).toMatchObject({ alertsRaised: 0, alertsRaisedInBand: 1, levelChanged: 1 });
      const alerts = await openAlerts();
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ severity: 2, reason: 'attendance 86.7% over the last 30 school days' });
      const profile = await handle.db
        .selectFrom('risk_profiles')
        .selectAll()
        .where('student_id', '=', student.id)
        .executeTakeFirstOrThrow();
      expect(profile).toMatchObject({ level: 2, previous_level: 1, worsened_at: '2026-11-30 12:00:00.000' });
    });

    it('resolves the alert by itself when the indicator recovers, and raises a new one if it falls again', async () => {
      await attendance(0);
      expect(await recomputeStudents(context(), [student])).toMatchObject({ alertsResolved: 1 });
      expect(await openAlerts()).toEqual([]);
      const resolved = await handle.db.selectFrom('alerts').selectAll().where('student_id', '=', student.id).execute();
      expect(resolved).toMatchObject([
        { status: 'RESOLVED', open_indicator: null, closed_at: '2026-11-30 12:00:00.000' },
      ]);

      await attendance(7); // 23 of 30: 76.7%, CRITICAL
      expect(await recomputeStudents(context(), [student])).toMatchObject({ alertsRaised: 1 });
      expect(await openAlerts()).toMatchObject([{ severity: 3, status: 'NEW' }]);
    });

    it('writes each change to the audit log as the system, with the recompute itself', async () => {
      const actions = await handle.db
        .selectFrom('audit_log')
        .select(['action', 'actor_type'])
        .where((eb) => eb.or([eb('student_id', '=', student.id), eb('action', '=', 'risk.recomputed')]))
        .orderBy('seq')
        .execute();
      expect(actions.filter((a) => a.action !== 'risk.recomputed').map((a) => a.action)).toEqual([
        'alert.raised',
        'alert.band_raised',
        'alert.resolved',
        'alert.raised',
      ]);
      expect(actions.filter((a) => a.action === 'risk.recomputed')).toHaveLength(5);
      expect(new Set(actions.map((a) => a.actor_type))).toEqual(new Set(['SYSTEM']));
    });

    it("stores the version of a district's own rules, which change the cut points", async () => {
      const folder = mkdtempSync(join(tmpdir(), 'pastoral-rules-'));
      const file = join(folder, 'rules.json');
      writeFileSync(
        file,
        JSON.stringify({
          version: 'district-2027',
          attendance: { watchBelow: 0.7, atRiskBelow: 0.6, criticalBelow: 0.5 },
        }),
      );
      const rules = loadRiskRules(file);
      await recomputeStudents(context(rules), [student]);
      const profile = await handle.db
        .selectFrom('risk_profiles')
        .selectAll()
        .where('student_id', '=', student.id)
        .executeTakeFirstOrThrow();
      expect(profile).toMatchObject({ rules_version: 'district-2027', attendance_level: 0, level: 0 });
    });

    it("copies each new overall level onto the student's row, which the roster's risk order reads", async () => {
      const levelOnRow = async () =>
        (
          await handle.db
            .selectFrom('students')
            .select('risk_level')
            .where('id', '=', student.id)
            .executeTakeFirstOrThrow()
        ).risk_level;
      for (const [absent, level] of [
        [4, 2],
        [0, 0],
        [7, 3],
      ] as const) {
        await attendance(absent);
        await recomputeStudents(context(), [student]);
        expect({ absent, level: await levelOnRow() }).toEqual({ absent, level });
      }
    });
  });
}

describe('rules files', () => {
  const write = (content: unknown) => {
    const file = join(mkdtempSync(join(tmpdir(), 'pastoral-rules-')), 'rules.json');
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  it('refuses a file without a version, with cut points out of order, or with unknown keys', () => {
    expect(() => loadRiskRules(write({ attendance: { watchBelow: 0.9 } }))).toThrow(RiskRulesError);
    expect(() => loadRiskRules(write({ version: 'x', attendance: { watchBelow: 0.8, criticalBelow: 0.9 } }))).toThrow(
      'attendance cut points must satisfy criticalBelow <= atRiskBelow <= watchBelow',
    );
    expect(() => loadRiskRules(write({ version: 'x', ethnicity: {} }))).toThrow('is not valid');
    expect(() => loadRiskRules(write('{ nope'))).toThrow('cannot be read as JSON');
  });
});

const district = testEngines();
describe.each(district.map((e) => [e.name, e] as const))('recomputing a seeded school on %s', (_name, engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createSeededDatabase(engine, 4);
  });
  afterAll(() => database.drop());

  it('agrees with the profiles the seed computed from the same records: nothing changes, nothing is raised', async () => {
    const summary = await recomputeAll({
      db: database.handle.db,
      dialect: database.handle.dialect,
      rules: DEFAULT_RISK_RULES,
      actor: SYSTEM,
      now: new Date('2026-11-30T08:00:00Z'),
    });
    expect(summary.students).toBeGreaterThan(290);
    expect(summary).toMatchObject({ levelChanged: 0, alertsRaised: 0, alertsRaisedInBand: 0, alertsResolved: 0 });
  });

  it("seeds each student's row with their profile's level, as the engine keeps it", async () => {
    const { db } = database.handle;
    const levels = await db
      .selectFrom('students')
      .innerJoin('risk_profiles', (join) =>
        join
          .onRef('risk_profiles.school_id', '=', 'students.school_id')
          .onRef('risk_profiles.student_id', '=', 'students.id'),
      )
      .select(['students.risk_level', 'risk_profiles.level'])
      .execute();
    expect(levels.length).toBeGreaterThan(290);
    expect(levels.filter((row) => row.risk_level !== row.level)).toEqual([]);
    expect(new Set(levels.map((row) => row.level)).size).toBeGreaterThan(2);
  });
});
