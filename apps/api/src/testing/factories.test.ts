import { testEngines } from '@pastoral/db/testing';
import { describe, expect, it } from 'vitest';
import {
  buildAlert,
  buildApiToken,
  buildCase,
  buildCaseEvent,
  buildClassroomAssignment,
  buildSession,
  buildStudent,
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
});
