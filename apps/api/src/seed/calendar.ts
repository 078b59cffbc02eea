/**
 * The seed's calendar: the as-of day, the school days of attendance before it, the academic terms of the
 * history, and the instants everything else is dated from.
 */
import { toDateOnly, toTimestamp } from '@pastoral/db';
import type { SeedProfile } from './profiles.ts';
import type { Random } from './random.ts';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

export interface AcademicTerm {
  code: string;
  name: string;
  startsOn: string;
  endsOn: string;
}

export interface SeedCalendar {
  /** The as-of day, UTC midnight. */
  asOfMs: number;
  /** The evening before the as-of day: the newest instant any seeded row may carry. */
  nowMs: number;
  /** `nowMs` as a stored timestamp: when the term's records and risk profiles were recorded. */
  recordedAt: string;
  /** The oldest instant of the history (alerts, cases, audit entries). */
  historyStartMs: number;
  /** The school days of attendance, oldest first, ending the day before the as-of day. */
  schoolDays: string[];
  /** The calendar year the current academic year started in (September). */
  academicYear: number;
  terms: AcademicTerm[];
  currentTerm: AcademicTerm;
  /** When the schools, classrooms and accounts were created: a month before the history starts. */
  created: string;
}

export function seedCalendar(profile: SeedProfile, asOf: Date): SeedCalendar {
  const asOfMs = Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), asOf.getUTCDate());
  const asOfDate = toDateOnly(new Date(asOfMs));
  // The data runs up to the evening before the as-of day: nothing of the day itself is recorded yet, so no seeded
  // row lies in the future when the seed is run for today.
  const nowMs = asOfMs - HOUR_MS;
  const historyStartMs = asOfMs - profile.historyYears * 365 * DAY_MS;
  const academicYear =
    new Date(asOfMs).getUTCMonth() >= 8 ? new Date(asOfMs).getUTCFullYear() : new Date(asOfMs).getUTCFullYear() - 1;
  const terms = academicTerms(academicYear, profile.historyYears);
  return {
    asOfMs,
    nowMs,
    recordedAt: toTimestamp(new Date(nowMs)),
    historyStartMs,
    schoolDays: lastSchoolDays(asOfMs - DAY_MS, profile.schoolDays),
    academicYear,
    terms,
    currentTerm: [...terms].reverse().find((term) => term.startsOn <= asOfDate) ?? terms[0]!,
    created: toTimestamp(new Date(historyStartMs - 30 * DAY_MS)),
  };
}

/** The last `count` weekdays up to and including `endMs` (UTC midnight), oldest first. */
function lastSchoolDays(endMs: number, count: number): string[] {
  const days: string[] = [];
  for (let ms = endMs; days.length < count; ms -= DAY_MS) {
    const weekday = new Date(ms).getUTCDay();
    if (weekday !== 0 && weekday !== 6) days.push(toDateOnly(new Date(ms)));
  }
  return days.reverse();
}

/** A moment on a weekday between 07:30 and 17:30 UTC, uniformly between two instants. */
export function weekdayAt(random: Random, fromMs: number, toMs: number): number {
  let day = Math.floor(random.between(fromMs, toMs) / DAY_MS) * DAY_MS;
  const weekday = new Date(day).getUTCDay();
  if (weekday === 0) day -= 2 * DAY_MS;
  if (weekday === 6) day -= DAY_MS;
  return day + Math.floor(random.between(7.5, 17.5) * HOUR_MS);
}

function academicTerms(currentYear: number, historyYears: number): AcademicTerm[] {
  const terms: AcademicTerm[] = [];
  for (let year = currentYear - historyYears; year <= currentYear; year++) {
    terms.push(
      { code: `${year}-AUT`, name: `Autumn ${year}`, startsOn: `${year}-09-01`, endsOn: `${year}-12-19` },
      {
        code: `${year + 1}-SPR`,
        name: `Spring ${year + 1}`,
        startsOn: `${year + 1}-01-05`,
        endsOn: `${year + 1}-03-27`,
      },
      {
        code: `${year + 1}-SUM`,
        name: `Summer ${year + 1}`,
        startsOn: `${year + 1}-04-13`,
        endsOn: `${year + 1}-07-22`,
      },
    );
  }
  return terms;
}
