import type { Kysely } from 'kysely';
import { columnTypes, createIndexes, createTable, dropTables } from './support/ddl.ts';

/**
 * Who viewed which student's record, one row per member of staff, student and day: a page of 100 students is
 * one INSERT of the rows not there yet, and a student's "viewed by" reads one key range. Kept apart from the
 * audit log on purpose: a read changes nothing, and every audited change already queues on the one chain head,
 * which reads (five and more a second per user) must not join.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db);
  await createTable(
    db,
    'student_record_views',
    (table) =>
      table
        .addColumn('school_id', t.ref, (c) => c.notNull())
        .addColumn('student_id', t.ref, (c) => c.notNull())
        .addColumn('viewed_on', t.date, (c) => c.notNull())
        .addColumn('user_id', t.ref, (c) => c.notNull())
        .addColumn('first_viewed_at', t.timestamp, (c) => c.notNull())
        .addPrimaryKeyConstraint('student_record_views_pkey', ['school_id', 'student_id', 'viewed_on', 'user_id']),
    {
      foreignKeys: [
        ['student_id', 'students.id', 'cascade'],
        ['user_id', 'users.id', 'cascade'],
      ],
    },
  );
  // Retention removes a school's old days; an admin asks what one member of staff viewed.
  await createIndexes(db, 'student_record_views', [
    { name: 'student_record_views_day_idx', columns: ['school_id', 'viewed_on'] },
    { name: 'student_record_views_user_idx', columns: ['school_id', 'user_id', 'viewed_on'] },
  ]);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropTables(db, ['student_record_views']);
}
