/**
 * Phase 2: the students of every classroom, each with the propensities their records are drawn from, and their
 * attendance. Each student has streams of their own (`Random(seed, 1, id)`, `Random(seed, 2, id)`), so a
 * student's data does not depend on anyone else's.
 */
import { FAMILY_NAMES, GIVEN_NAMES } from '../names.ts';
import type { SeedProfile } from '../profiles.ts';
import { Random } from '../random.ts';
import type { ClassroomPlan, StudentPlan } from '../seed-plan.ts';

export function planStudents(classrooms: readonly ClassroomPlan[], profile: SeedProfile, seed: number): StudentPlan[] {
  const students: StudentPlan[] = [];
  for (const classroom of classrooms) {
    for (let i = 0; i < profile.studentsPerClassroom; i++) {
      const id = students.length + 1;
      const random = new Random(seed, 1, id);
      students.push({
        id,
        schoolId: classroom.schoolId,
        classroomId: classroom.id,
        yearGroup: classroom.yearGroup,
        active: !random.chance(0.015),
        givenName: random.pick(GIVEN_NAMES),
        familyName: random.pick(FAMILY_NAMES),
        absenceRate: random.weighted([
          [random.between(0, 0.03), 70],
          [random.between(0.03, 0.09), 18],
          [random.between(0.09, 0.18), 8],
          [random.between(0.18, 0.4), 4],
        ]),
        decliningAttendance: random.chance(0.04),
        incidentRate: random.weighted([
          [0.15, 70],
          [1, 20],
          [3, 8],
          [6, 2],
        ]),
        ability: random.normal(),
      });
    }
  }
  return students;
}

/**
 * A student's attendance over the seeded school days, the same on every call: computed once for the risk
 * profiles and again while the rows stream into the database, so it is never all held in memory.
 */
export function attendanceOf(seed: number, schoolDays: readonly string[], student: StudentPlan): string[] {
  const random = new Random(seed, 2, student.id);
  return schoolDays.map((_, index) => {
    const lateTerm = index >= schoolDays.length - 10;
    const absence = student.absenceRate + (student.decliningAttendance && lateTerm ? 0.4 : 0);
    if (random.chance(absence)) return random.chance(0.4) ? 'ABSENT_UNAUTHORISED' : 'ABSENT_AUTHORISED';
    return random.chance(0.03) ? 'LATE' : 'PRESENT';
  });
}
