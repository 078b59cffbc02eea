import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RISK_RULES } from '../risk/risk.rules.ts';
import { ImportFileError, importCsv, type RejectedLine } from './csv-import.ts';
import { createSeededDatabase } from '../../testing/seeded-database.ts';

const folder = mkdtempSync(join(tmpdir(), 'pastoral-import-'));
function file(name: string, content: string | Buffer) {
  const path = join(folder, name);
  writeFileSync(path, content);
  return path;
}

for (const engine of testEngines()) {
  describe(`CSV import on ${engine.name}`, () => {
    let database: TestDatabase;
    let externalIds: string[];
    beforeAll(async () => {
      database = await createSeededDatabase(engine, 2);
      const rows = await database.handle.db
        .selectFrom('students')
        .select('external_id')
        .where('school_id', '=', 1)
        .where('is_active', '=', 1)
        .orderBy('id')
        .limit(3)
        .execute();
      externalIds = rows.map((row) => row.external_id);
    });
    afterAll(() => database.drop());

    const run = async (path: string, dryRun: boolean, kind: 'attendance' | 'students' = 'attendance') => {
      const rejected: RejectedLine[] = [];
      const summary = await importCsv(
        {
          db: database.handle.db,
          dialect: database.handle.dialect,
          rules: DEFAULT_RISK_RULES,
          now: new Date('2026-12-01T18:00:00Z'),
          kind,
          file: path,
          schoolId: 1,
          dryRun,
        },
        { rejected: (line) => rejected.push(line), progress: () => undefined },
      );
      return { summary, rejected };
    };

    it('applies the good lines, reports each bad one by its line number, and a dry run changes nothing', async () => {
      const [a, b, c] = externalIds as [string, string, string];
      const csv = Buffer.concat([
        Buffer.from(
          `\uFEFFstudent_external_id,date,status\n${a},2026-12-01,ABSENT_AUTHORISED\n${b},2026-12-01,PRESENT\nNOBODY,2026-12-01,PRESENT\n${c},2026-13-01,PRESENT\n${c},2026-12-01,ASLEEP\n`,
        ),
        Buffer.from([0x22, 0xff, 0xfe, 0x22, 0x2c]), // a line whose first field is not UTF-8
        Buffer.from(`2026-12-01,PRESENT\n"${c}",2026-12-01,LATE\n`),
      ]);
      const path = file(`attendance-${engine.name}.csv`, csv);

      const dry = await run(path, true);
      expect(dry.summary).toMatchObject({ lines: 7, applied: 3, rejected: 4 });
      const count = () =>
        database.handle.db
          .selectFrom('attendance_records')
          .select('student_id')
          .where('date', '=', '2026-12-01')
          .execute();
      expect(await count()).toEqual([]);

      const real = await run(path, false);
      expect(real.summary).toMatchObject({ lines: 7, applied: 3, rejected: 4, studentsRecomputed: 3 });
      expect(real.rejected).toEqual([
        { line: 5, field: 'date', message: 'date must be a calendar date as YYYY-MM-DD.' },
        {
          line: 6,
          field: 'status',
          message: 'status must be PRESENT, LATE, ABSENT_AUTHORISED or ABSENT_UNAUTHORISED.',
        },
        { line: 7, field: null, message: 'The line is not valid UTF-8; save the file as UTF-8.' },
        { line: 4, field: 'studentExternalId', message: 'No student of this school has this external id.' },
      ]);
      expect(await count()).toHaveLength(3);
      // The same file again changes nothing: records are upserted by student and day.
      expect((await run(path, false)).summary.applied).toBe(3);
      expect(await count()).toHaveLength(3);
    });

    it('says which columns a file lacks, in one line', async () => {
      const path = file(`bad-columns-${engine.name}.csv`, 'student,day\nx,2026-12-01\n');
      await expect(run(path, false)).rejects.toThrow(
        new ImportFileError(
          'The file has no student_external_id, date, status columns; its first line must name the columns: student_external_id,date,status.',
        ),
      );
    });

    it('refuses a UTF-16 file up front, saying to save it as UTF-8, and applies nothing', async () => {
      const [a] = externalIds as [string];
      const text = `student_external_id,date,status\n${a},2026-12-02,PRESENT\n`;
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
      await expect(run(file(`utf16-${engine.name}.csv`, utf16), false)).rejects.toThrow(
        new ImportFileError('The file is UTF-16, not UTF-8; save it as "CSV UTF-8" and import it again.'),
      );
      const written = await database.handle.db
        .selectFrom('attendance_records')
        .select('student_id')
        .where('date', '=', '2026-12-02')
        .execute();
      expect(written).toEqual([]);
    });

    it('imports students by their external id', async () => {
      const classroom = await database.handle.db
        .selectFrom('classrooms')
        .select('name')
        .where('school_id', '=', 1)
        .executeTakeFirstOrThrow();
      const path = file(
        `students-${engine.name}.csv`,
        `external_id,given_name,family_name,date_of_birth,classroom\nCSV-1,"Ana, Maria",Silva,2014-03-02,${classroom.name}\n`,
      );
      const result = await run(path, false, 'students');
      expect(result.summary).toMatchObject({ applied: 1, rejected: 0 });
      const stored = await database.handle.db
        .selectFrom('students')
        .select('full_name')
        .where('external_id', '=', 'CSV-1')
        .executeTakeFirstOrThrow();
      expect(stored.full_name).toBe('Ana, Maria Silva');
    });
  });
}
