import type { Database } from '@pastoral/db';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Viewer } from '../auth/viewer.ts';
import { districtWide, NOTHING } from '../../school-scope.ts';

/** A school admin reads their school's audit log; a district admin reads all of it; nobody else any. */
export function visibleAuditEntries(viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, 'audit_log'>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return districtWide('district-audit-log');
    if (viewer.role === 'SCHOOL_ADMIN' && viewer.schoolId !== null)
      return eb('audit_log.school_id', '=', viewer.schoolId);
    return NOTHING;
  };
}

/** The record of staff views of students goes with the audit log: the same readers, the same schools. */
export function visibleRecordViews(viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, 'student_record_views'>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return districtWide('district-audit-log');
    if (viewer.role === 'SCHOOL_ADMIN' && viewer.schoolId !== null)
      return eb('student_record_views.school_id', '=', viewer.schoolId);
    return NOTHING;
  };
}

/** Whether the viewer reads any of the audit log at all: a field that is the audit log's is null for others. */
export function readsAuditLog(viewer: Viewer): boolean {
  return viewer.role === 'DISTRICT_ADMIN' || (viewer.role === 'SCHOOL_ADMIN' && viewer.schoolId !== null);
}
