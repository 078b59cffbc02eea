import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_COLUMNS } from './columns.ts';
import { buildClassroom, buildSchool, buildStudent, type TestDatabase, testEngines } from './testing.ts';

const AWKWARD_TEXT = [
  'tab\there',
  'new\nline',
  'carriage\rreturn',
  'back\\slash',
  "it's quoted",
  'null \\N literal',
  'émoji 🎒 and ünïcode',
  'comma, "double" quotes',
];

for (const engine of testEngines()) {
  describe(`bulk loading on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await engine.createDatabase();
    });
    afterAll(() => database.drop());

    for (const method of ['auto', 'insert'] as const) {
      it(`round-trips awkward text, NULLs and numbers exactly (${method})`, async () => {
        const { db, dialect } = database.handle;
        await db.deleteFrom('schools').execute();
        const rows = AWKWARD_TEXT.map((name, i) => [
          i + 1,
          `S${i}`,
          name,
          i % 2 ? 'fr-FR' : 'en-GB',
          'Europe/London',
          '2026-11-30 10:00:00.000',
          '2026-11-30 10:00:00.123',
        ]);
        const inserted = await dialect.bulkInsert(
          'schools',
          ['id', 'code', 'name', 'locale', 'time_zone', 'created_at', 'updated_at'],
          rows,
          { method },
        );
        expect(inserted).toBe(AWKWARD_TEXT.length);
        const stored = await db.selectFrom('schools').select(['id', 'name', 'updated_at']).orderBy('id').execute();
        expect(stored).toEqual(
          AWKWARD_TEXT.map((name, i) => ({ id: i + 1, name, updated_at: '2026-11-30 10:00:00.123' })),
        );

        await db.deleteFrom('academic_terms').execute();
        await dialect.bulkInsert(
          'academic_terms',
          ['id', 'code', 'name', 'starts_on', 'ends_on'],
          [[1, 'T', 'Term', '2026-09-01', '2026-12-19']],
          { method },
        );
        expect(await db.selectFrom('academic_terms').selectAll().execute()).toEqual([
          { id: 1, code: 'T', name: 'Term', starts_on: '2026-09-01', ends_on: '2026-12-19' },
        ]);
      });
    }

    it('loads more rows than one batch holds', async () => {
      const { db, dialect } = database.handle;
      const now = '2026-11-30 10:00:00.000';
      await buildSchool(db, { id: 100 });
      await buildClassroom(db, { id: 1, school_id: 100 });
      const students = function* () {
        for (let id = 1; id <= 25_001; id++) {
          yield [id, 100, 1, `X${id}`, 'Given', 'Family', 'Given Family', null, 7, 1, '2026-09-01', null, now, now, 0];
        }
      };
      const count = await dialect.bulkInsert('students', TABLE_COLUMNS.students, students());
      expect(count).toBe(25_001);
      const stored = await db
        .selectFrom('students')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('id').as('max')])
        .executeTakeFirstOrThrow();
      expect({ n: Number(stored.n), max: Number(stored.max) }).toEqual({ n: 25_001, max: 25_001 });
    });
  });
}

for (const engine of testEngines()) {
  describe(`upserts on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await engine.createDatabase();
    });
    afterAll(() => database.drop());

    it('inserts new rows and updates rows with the same natural key, leaving the rest alone', async () => {
      const { db, dialect } = database.handle;
      const ada = await buildStudent(db);
      const ben = await buildStudent(db, { classroom_id: ada.classroom_id });
      const day = (student: { id: number; school_id: number }, date: string, status: string) => ({
        student_id: student.id,
        date,
        school_id: student.school_id,
        status,
        recorded_at: '2026-11-30 09:00:00.000',
      });
      const options = { conflict: ['student_id', 'date'], update: ['status', 'recorded_at'] } as const;
      await dialect.upsert(
        db,
        'attendance_records',
        [day(ada, '2026-11-27', 'PRESENT'), day(ben, '2026-11-27', 'LATE')],
        options,
      );
      // The same day again, one corrected, inside a transaction: no duplicate rows, the correction applied.
      await db
        .transaction()
        .execute((trx) =>
          dialect.upsert(
            trx,
            'attendance_records',
            [
              day(ada, '2026-11-27', 'ABSENT_AUTHORISED'),
              day(ben, '2026-11-27', 'LATE'),
              day(ada, '2026-11-30', 'PRESENT'),
            ],
            options,
          ),
        );
      const rows = await db
        .selectFrom('attendance_records')
        .select(['student_id', 'date', 'status'])
        .orderBy('student_id')
        .orderBy('date')
        .execute();
      expect(rows).toEqual([
        { student_id: ada.id, date: '2026-11-27', status: 'ABSENT_AUTHORISED' },
        { student_id: ada.id, date: '2026-11-30', status: 'PRESENT' },
        { student_id: ben.id, date: '2026-11-27', status: 'LATE' },
      ]);
    });
  });
}
