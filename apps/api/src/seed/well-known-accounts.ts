/**
 * The accounts the README signs in with: generated staff renamed to addresses anyone can type, chosen after the
 * alerts and cases so that each well-known form master has work waiting.
 */
import type { AlertRow, CaseRow, ClassroomPlan, SchoolPlan, StaffMember } from './seed-plan.ts';
import { byId } from './seed-plan.ts';
import type { SeedProfile } from './profiles.ts';

export type WellKnownAccount =
  | 'district.admin@pastoral.example'
  | 'school.admin@s01.pastoral.example'
  | 'pastoral.lead@s01.pastoral.example'
  | 'form.master@s01.pastoral.example'
  | 'form.master@s02.pastoral.example';

export const WELL_KNOWN_ACCOUNTS: Record<WellKnownAccount, { role: string; description: string }> = {
  'district.admin@pastoral.example': { role: 'DISTRICT_ADMIN', description: 'every school' },
  'school.admin@s01.pastoral.example': { role: 'SCHOOL_ADMIN', description: 'school 1' },
  'pastoral.lead@s01.pastoral.example': {
    role: 'PASTORAL_LEAD',
    description: 'school 1, can view restricted notes',
  },
  'form.master@s01.pastoral.example': { role: 'FORM_MASTER', description: 'a classroom in school 1' },
  'form.master@s02.pastoral.example': { role: 'FORM_MASTER', description: 'a classroom in school 2' },
};

export interface WellKnownAccountsInput {
  profile: SeedProfile;
  staff: StaffMember[];
  schools: readonly SchoolPlan[];
  classrooms: readonly ClassroomPlan[];
  districtAdmins: readonly StaffMember[];
  alerts: readonly AlertRow[];
  cases: readonly CaseRow[];
}

/** Renames the chosen staff (in `staff`, in place) and returns the well-known form master's classroom in school 1. */
export function assignWellKnownAccounts(input: WellKnownAccountsInput): ClassroomPlan {
  const { profile, staff, classrooms, districtAdmins, alerts, cases } = input;
  const staffById = (id: number) => byId(staff, id);
  const schoolById = (id: number) => byId(input.schools, id);
  // Make sure the well-known form master of each of the first two schools has work waiting: the classroom
  // with the most new alerts and open cases becomes theirs.
  const workload = new Map<number, number>();
  for (const alert of alerts)
    if (alert.status === 'NEW' && alert.assignedTo)
      workload.set(alert.assignedTo, (workload.get(alert.assignedTo) ?? 0) + 1);
  for (const c of cases)
    if (c.status !== 'CLOSED' && c.assignedTo) workload.set(c.assignedTo, (workload.get(c.assignedTo) ?? 0) + 1);
  const busiestFormMaster = (schoolId: number) =>
    classrooms
      .filter((classroom) => classroom.schoolId === schoolId)
      .reduce((best, classroom) =>
        (workload.get(classroom.formMasterId) ?? 0) > (workload.get(best.formMasterId) ?? 0) ? classroom : best,
      );
  const wellKnownClassroom = busiestFormMaster(1);
  const renames: [number, WellKnownAccount][] = [
    [districtAdmins[0]!.id, 'district.admin@pastoral.example'],
    [schoolById(1).adminId, 'school.admin@s01.pastoral.example'],
    [schoolById(1).safeguardingLeadId, 'pastoral.lead@s01.pastoral.example'],
    [wellKnownClassroom.formMasterId, 'form.master@s01.pastoral.example'],
  ];
  if (profile.schools >= 2) renames.push([busiestFormMaster(2).formMasterId, 'form.master@s02.pastoral.example']);
  for (const [userId, email] of renames) staffById(userId).email = email;
  return wellKnownClassroom;
}

/** The password hash an account is seeded with: its own for a well-known account, the shared one otherwise. */
export function passwordHashOf(
  member: StaffMember,
  passwordHashes: { wellKnown: Record<WellKnownAccount, string>; shared: string },
): string {
  return passwordHashes.wellKnown[member.email as WellKnownAccount] ?? passwordHashes.shared;
}
