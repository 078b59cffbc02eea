/**
 * Phase 1: the schools, their classrooms and staff, and the district's admins. Names come from one stream
 * (`Random(seed, 100)`), drawn in the order the people are added.
 */
import { FAMILY_NAMES, GIVEN_NAMES, SCHOOL_NAME_KINDS, SCHOOL_NAME_STEMS } from '../names.ts';
import type { SeedProfile } from '../profiles.ts';
import { Random } from '../random.ts';
import type { ClassroomPlan, SchoolPlan, StaffMember } from '../seed-plan.ts';

const FORM_LETTERS = 'ABCDEFGHJK';

export interface ClassroomAssignment {
  id: number;
  schoolId: number;
  classroomId: number;
  userId: number;
  kind: string;
}

export interface SchoolsAndStaff {
  staff: StaffMember[];
  schools: SchoolPlan[];
  classrooms: ClassroomPlan[];
  assignments: ClassroomAssignment[];
  districtAdmins: StaffMember[];
}

export function planSchoolsAndStaff(profile: SeedProfile, seed: number): SchoolsAndStaff {
  const people = new Random(seed, 100);
  const usedEmails = new Set<string>();
  const staff: StaffMember[] = [];
  const schools: SchoolPlan[] = [];
  const classrooms: ClassroomPlan[] = [];
  const assignments: ClassroomAssignment[] = [];

  const addStaff = (schoolId: number | null, role: string, canViewRestricted: 0 | 1 = 0): StaffMember => {
    const given = people.pick(GIVEN_NAMES);
    const family = people.pick(FAMILY_NAMES);
    const domain = schoolId === null ? 'pastoral.example' : `${schoolCode(schoolId).toLowerCase()}.pastoral.example`;
    const base = `${given}.${family}`.toLowerCase().replace(/[^a-z.]/g, '');
    let email = `${base}@${domain}`;
    for (let n = 2; usedEmails.has(email); n++) email = `${base}${n}@${domain}`;
    usedEmails.add(email);
    const member = { id: staff.length + 1, schoolId, email, fullName: `${given} ${family}`, role, canViewRestricted };
    staff.push(member);
    return member;
  };

  for (let s = 1; s <= profile.schools; s++) {
    const formMasters: StaffMember[] = [];
    for (let c = 0; c < profile.classroomsPerSchool; c++) formMasters.push(addStaff(s, 'FORM_MASTER'));
    const admin = addStaff(s, 'SCHOOL_ADMIN');
    const leads = Array.from({ length: profile.pastoralLeadsPerSchool }, (_, i) =>
      addStaff(s, 'PASTORAL_LEAD', i === 0 ? 1 : 0),
    );
    const assistantCount = profile.staffPerSchool - formMasters.length - 1 - leads.length;
    const assistants = Array.from({ length: Math.max(0, assistantCount) }, () => addStaff(s, 'FORM_MASTER'));
    schools.push({
      id: s,
      code: schoolCode(s),
      adminId: admin.id,
      leadIds: leads.map((lead) => lead.id),
      safeguardingLeadId: leads[0]!.id,
      tokenId: s,
    });
    for (let c = 0; c < profile.classroomsPerSchool; c++) {
      const yearGroup = 7 + (c % 5);
      const classroom: ClassroomPlan = {
        id: classrooms.length + 1,
        schoolId: s,
        name: `${yearGroup}${FORM_LETTERS[Math.floor(c / 5)] ?? String(c)}`,
        yearGroup,
        formMasterId: formMasters[c]!.id,
        assistantIds: assistants.filter((_, i) => i % profile.classroomsPerSchool === c).map((a) => a.id),
      };
      classrooms.push(classroom);
      assignments.push({
        id: assignments.length + 1,
        schoolId: s,
        classroomId: classroom.id,
        userId: classroom.formMasterId,
        kind: 'FORM_MASTER',
      });
      for (const assistantId of classroom.assistantIds) {
        assignments.push({
          id: assignments.length + 1,
          schoolId: s,
          classroomId: classroom.id,
          userId: assistantId,
          kind: 'ASSISTANT',
        });
      }
    }
  }
  const districtAdmins = Array.from({ length: profile.districtAdmins }, () => addStaff(null, 'DISTRICT_ADMIN'));
  return { staff, schools, classrooms, assignments, districtAdmins };
}

function schoolCode(id: number): string {
  return `S${String(id).padStart(2, '0')}`;
}

export function schoolName(seed: number, id: number): string {
  const stem = SCHOOL_NAME_STEMS[(id - 1) % SCHOOL_NAME_STEMS.length]!;
  const kind = new Random(seed, 400, id).pick(SCHOOL_NAME_KINDS);
  const round = Math.floor((id - 1) / SCHOOL_NAME_STEMS.length);
  return round === 0 ? `${stem} ${kind}` : `${stem} ${['North', 'South', 'East', 'West'][round - 1] ?? round} ${kind}`;
}
