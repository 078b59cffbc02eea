import { type Kysely, sql } from 'kysely';
import {
  addIndexesTogether,
  columnExists,
  columnTypes,
  dropColumns,
  dropIndexesTogether,
  isMysql,
} from './support/ddl.ts';

/**
 * The roster in risk order reads its page from an index. It is ordered by overall risk level, highest first,
 * then by name: the level lived in risk_profiles alone, so every roster page joined a school's students (the
 * district's, for a district admin) to their profiles and sorted them all to keep 26 (1,000 rows and a filesort
 * for a school; 50,000 for the district: 0.5 to 0.7 s under the load test). `students.risk_level` holds the same
 * level (0 when no profile is computed yet, as the roster's coalesce had it), written with the profile
 * (risk.engine.ts), and two indexes give the roster's order, the level descending: a school's active students,
 * and the district's.
 */
const INDEXES = [
  {
    name: 'students_school_active_risk_idx',
    columns: ['school_id', 'is_active', 'risk_level desc', 'family_name', 'given_name', 'id'],
  },
  {
    name: 'students_active_risk_idx',
    columns: ['is_active', 'risk_level desc', 'family_name', 'given_name', 'id'],
  },
];

export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db);
  if (!(await columnExists(db, 'students', 'risk_level'))) {
    await db.schema
      .alterTable('students')
      .addColumn('risk_level', t.tinyInt, (column) => column.notNull().defaultTo(0))
      .execute();
  }
  // Every profile's level, copied once; from now on the engine writes both in one transaction.
  if (isMysql(db)) {
    await sql`update students inner join risk_profiles
      on risk_profiles.school_id = students.school_id and risk_profiles.student_id = students.id
      set students.risk_level = risk_profiles.level
      where students.risk_level <> risk_profiles.level`.execute(db);
  } else {
    await sql`update students set risk_level = (
        select risk_profiles.level from risk_profiles
        where risk_profiles.school_id = students.school_id and risk_profiles.student_id = students.id)
      where exists (
        select 1 from risk_profiles
        where risk_profiles.school_id = students.school_id and risk_profiles.student_id = students.id
          and risk_profiles.level <> students.risk_level)`.execute(db);
  }
  await addIndexesTogether(db, 'students', INDEXES);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropIndexesTogether(
    db,
    'students',
    INDEXES.map((index) => index.name),
  );
  await dropColumns(db, 'students', ['risk_level']);
}
