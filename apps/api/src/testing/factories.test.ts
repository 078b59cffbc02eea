import { testEngines } from '@pastoral/db/testing';
import { describe, expect, it } from 'vitest';
import {
  buildAlert,
  buildApiToken,
  buildAuditSummary,
  buildCase,
  buildCaseEvent,
  buildClassroom,
  buildClassroomAssignment,
  buildIdempotencyKey,
  buildJobLease,
  buildRateLimitWindow,
  buildSchool,
  buildSession,
  buildSignInAddress,
  buildStudent,
  buildStudentRecordView,
} from './factories.ts';

describe.each(testEngines())('factories on $name', (engine) => {
  it('build each entity with its missing parents, in one school, and take overrides', async () => {
    const database = await engine.createDatabase();
    try {
      const { db } = database.handle;
      const student = await buildStudent(db);
      const alert = await buildAlert(db, { student_id: student.id, severity: 3 });
      expect(alert).toMatchObject({ student_id: student.id, school_id: student.school_id, severity: 3, status: 'NEW' });
      const event = await buildCaseEvent(db);
      const caseRow = await db
        .selectFrom('intervention_cases')
        .selectAll()
        .where('id', '=', event.case_id)
        .executeTakeFirstOrThrow();
      expect(event.school_id).toBe(caseRow.school_id);
      expect(await buildCase(db, { student_id: student.id, status: 'MONITORING' })).toMatchObject({
        school_id: student.school_id,
        status: 'MONITORING',
      });
      const assignment = await buildClassroomAssignment(db, { classroom_id: student.classroom_id });
      expect(assignment.school_id).toBe(student.school_id);
      const { row: session, sessionId } = await buildSession(db, { user_id: assignment.user_id });
      expect(session.id_hash).not.toBe(sessionId);
      const { row: token } = await buildApiToken(db, { school_id: student.school_id });
      expect(token).toMatchObject({ school_id: student.school_id, scopes: 'students:read', revoked_at: null });
    } finally {
      await database.drop();
    }
  });

  it('build the rows keyed by something other than an id, read back by that key, and take overrides', async () => {
    const database = await engine.createDatabase();
    try {
      const { db } = database.handle;
      const school = await buildSchool(db, { id: 100 });
      expect(await buildClassroom(db, { id: 7, school_id: school.id })).toMatchObject({ id: 7, school_id: 100 });
      expect(await buildIdempotencyKey(db, { idempotency_key: 'k' })).toMatchObject({
        idempotency_key: 'k',
        operation: 'openCase',
      });
      expect(await buildJobLease(db, { job: 'audit.archive' })).toMatchObject({
        job: 'audit.archive',
        holder: 'api-2:4242',
      });
      expect(await buildRateLimitWindow(db, { hits: 5 })).toMatchObject({ hits: 5, next_attempt_at: null });
      const address = await buildSignInAddress(db, { address: '10.1.1.1' });
      expect(address.address).toBe('10.1.1.1');
      expect(await buildAuditSummary(db, { occurrences: 7 })).toMatchObject({ occurrences: 7 });
      const view = await buildStudentRecordView(db, { viewed_on: '2026-10-01' });
      const student = await db
        .selectFrom('students')
        .selectAll()
        .where('id', '=', view.student_id)
        .executeTakeFirstOrThrow();
      const viewer = await db.selectFrom('users').selectAll().where('id', '=', view.user_id).executeTakeFirstOrThrow();
      expect(view).toMatchObject({ viewed_on: '2026-10-01', school_id: student.school_id });
      expect(viewer.school_id).toBe(student.school_id);
    } finally {
      await database.drop();
    }
  });
});
