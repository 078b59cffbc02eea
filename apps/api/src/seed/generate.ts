/**
 * Generates the seed data: a district of schools with staff, students, a term of ABC records, risk profiles
 * computed from those records by the real rules, three years of alerts and cases, and an audit log whose hash
 * chain verifies.
 *
 * Deterministic: every random choice comes from a `Random` keyed by the seed and by what it is for (a student
 * id, a table), so the same seed and as-of date give the same rows, and attendance can be generated twice
 * (once to compute risk, once to stream into the database) without being held in memory. The phases run in a
 * fixed order; alerts, cases and the audit history share one stream, so reordering them changes the data.
 */
import { seedCalendar } from './calendar.ts';
import { generateAlertsAndCases } from './phases/alerts-and-cases.ts';
import { generateAuditHistory } from './phases/audit-history.ts';
import { generateRecords } from './phases/records.ts';
import { planSchoolsAndStaff, schoolName } from './phases/schools-and-staff.ts';
import { planStudents } from './phases/students.ts';
import type { SeedProfile } from './profiles.ts';
import { Random } from './random.ts';
import { byId } from './seed-plan.ts';
import { seedTables, type TableData } from './tables.ts';
import { assignWellKnownAccounts, passwordHashOf, type WellKnownAccount } from './well-known-accounts.ts';

// cli.ts reads the well-known accounts from here, for the start-up banner.

export interface GenerateOptions {
  profile: SeedProfile;
  seed: number;
  /** The day the data is "as of" (UTC midnight): attendance ends here, history runs back from here. */
  asOf: Date;
  /** argon2id hashes: one per well-known account, and one shared by every other generated account. */
  passwordHashes: { wellKnown: Record<WellKnownAccount, string>; shared: string };
}

export interface SeedData {
  tables: TableData[];
  /** The audit chains' heads after the seeded entries, and the last district-wide `seq`. */
  chainHeads: { id: number; seq: number; hash: string }[];
  lastSeq: number;
  /** Where the well-known form master of school 1 teaches, for the start-up banner. */
  wellKnownClassroom: string;
}

export function generateSeedData(options: GenerateOptions): SeedData {
  const { profile, seed } = options;
  const calendar = seedCalendar(profile, options.asOf);

  const schoolsAndStaff = planSchoolsAndStaff(profile, seed);
  const { staff, schools, classrooms, districtAdmins } = schoolsAndStaff;
  const students = planStudents(classrooms, profile, seed);
  const records = generateRecords(seed, calendar, students);

  const random = new Random(seed, 200);
  const alertsAndCases = generateAlertsAndCases({ random, profile, calendar, schools, classrooms, students, records });
  const wellKnownClassroom = assignWellKnownAccounts({
    profile,
    staff,
    schools,
    classrooms,
    districtAdmins,
    ...alertsAndCases,
  });
  const { auditRows, chainHeads, lastSeq } = generateAuditHistory({
    random,
    profile,
    calendar,
    staff,
    districtAdmins,
    schools,
    students,
    alertsAndCases,
  });

  const tables = seedTables({
    seed,
    calendar,
    schoolsAndStaff,
    students,
    records,
    alertsAndCases,
    auditRows,
    passwordHashOf: (member) => passwordHashOf(member, options.passwordHashes),
  });
  const wellKnownSchool = byId(schools, wellKnownClassroom.schoolId);
  return {
    tables,
    chainHeads,
    lastSeq,
    wellKnownClassroom: `${wellKnownClassroom.name} at ${schoolName(seed, wellKnownSchool.id)}`,
  };
}
