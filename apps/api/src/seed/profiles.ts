/** How much data each seed profile makes. */
export interface SeedProfile {
  name: 'demo' | 'district';
  schools: number;
  classroomsPerSchool: number;
  studentsPerClassroom: number;
  /** Staff per school: a form master per classroom, an admin, pastoral leads, and assistant form masters. */
  staffPerSchool: number;
  pastoralLeadsPerSchool: number;
  districtAdmins: number;
  /** School days of attendance, ending on the as-of date: at least a term. */
  schoolDays: number;
  /** Totals over the seeded history (three years back from the as-of date). */
  alerts: number;
  cases: number;
  auditEntries: number;
  historyYears: number;
}

export const SEED_PROFILES: Record<SeedProfile['name'], SeedProfile> = {
  demo: {
    name: 'demo',
    schools: 2,
    classroomsPerSchool: 6,
    studentsPerClassroom: 25,
    staffPerSchool: 14,
    pastoralLeadsPerSchool: 3,
    districtAdmins: 2,
    schoolDays: 60,
    alerts: 1_500,
    cases: 600,
    auditEntries: 12_000,
    historyYears: 3,
  },
  district: {
    name: 'district',
    schools: 50,
    classroomsPerSchool: 20,
    studentsPerClassroom: 50,
    staffPerSchool: 40,
    pastoralLeadsPerSchool: 3,
    districtAdmins: 5,
    schoolDays: 60,
    alerts: 200_000,
    cases: 100_000,
    auditEntries: 1_000_000,
    historyYears: 3,
  },
};

export function isSeedProfileName(name: string): name is SeedProfile['name'] {
  return Object.hasOwn(SEED_PROFILES, name);
}
