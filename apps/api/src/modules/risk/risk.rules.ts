/**
 * The early-warning rules: indicator values in, levels and reasons out. Pure functions, no database.
 *
 * Cut points follow the published early-warning research (chronic absence is missing 10% of days; Balfanz et
 * al. flag attendance under 80%, a suspension, or failing English or maths). No demographic input exists here,
 * by design: a risk level depends on attendance, behaviour and coursework only.
 */
import { RISK_LEVELS, type RiskLevel } from '@pastoral/db';

export interface RiskRules {
  /** Stored with every profile, so a level can always be traced to the rules that produced it. */
  version: string;
  attendance: {
    /** School days looked back over. */
    windowSchoolDays: number;
    /** Attendance rate (0..1) below which each level starts. */
    watchBelow: number;
    atRiskBelow: number;
    criticalBelow: number;
  };
  behaviour: {
    windowDays: number;
    /** Minor incidents for WATCH and AT_RISK; one major incident is AT_RISK; any suspension is CRITICAL. */
    watchMinorIncidents: number;
    atRiskMinorIncidents: number;
  };
  coursework: {
    coreSubjects: string[];
    /** Failing this many subjects (or every core subject) is CRITICAL; failing one core subject is AT_RISK. */
    criticalFailingSubjects: number;
  };
}

export const DEFAULT_RISK_RULES: RiskRules = {
  version: 'default-2026.1',
  attendance: { windowSchoolDays: 30, watchBelow: 0.95, atRiskBelow: 0.9, criticalBelow: 0.8 },
  behaviour: { windowDays: 30, watchMinorIncidents: 1, atRiskMinorIncidents: 2 },
  coursework: { coreSubjects: ['ENGLISH', 'MATHS'], criticalFailingSubjects: 3 },
};

/** What the rules look at, computed from a student's records. */
export interface RiskIndicators {
  /** Days attended (present or late) over days recorded in the window; null with no records. */
  attendanceRate: number | null;
  attendanceDays: number;
  minorIncidents: number;
  majorIncidents: number;
  suspensions: number;
  /** Subjects failed this term, by subject code. */
  failingSubjects: string[];
}

export type Indicator = 'ATTENDANCE' | 'BEHAVIOUR' | 'ACADEMIC';

export interface RiskReason {
  indicator: Indicator;
  level: RiskLevel;
  /** The reason in words, with its facts: "attendance 86.4% over the last 30 school days". */
  text: string;
}

export interface RiskAssessment {
  /** Level codes (0 ON_TRACK .. 3 CRITICAL), as stored. */
  level: number;
  attendanceLevel: number;
  behaviourLevel: number;
  courseworkLevel: number;
  failingCoreSubjects: number;
  reasons: RiskReason[];
}

const ON_TRACK = 0;
const WATCH = 1;
const AT_RISK = 2;
const CRITICAL = 3;

export function attendanceLevel(rate: number | null, rules: RiskRules['attendance']): number {
  if (rate === null) return ON_TRACK;
  if (rate < rules.criticalBelow) return CRITICAL;
  if (rate < rules.atRiskBelow) return AT_RISK;
  if (rate < rules.watchBelow) return WATCH;
  return ON_TRACK;
}

export function behaviourLevel(indicators: RiskIndicators, rules: RiskRules['behaviour']): number {
  if (indicators.suspensions > 0) return CRITICAL;
  if (indicators.majorIncidents > 0 || indicators.minorIncidents >= rules.atRiskMinorIncidents) return AT_RISK;
  if (indicators.minorIncidents >= rules.watchMinorIncidents) return WATCH;
  return ON_TRACK;
}

export function courseworkLevel(failing: string[], rules: RiskRules['coursework']): number {
  const failingCore = rules.coreSubjects.filter((subject) => failing.includes(subject));
  if (failing.length >= rules.criticalFailingSubjects || failingCore.length === rules.coreSubjects.length) {
    return CRITICAL;
  }
  return failingCore.length > 0 ? AT_RISK : ON_TRACK;
}

export function assessRisk(indicators: RiskIndicators, rules: RiskRules = DEFAULT_RISK_RULES): RiskAssessment {
  const levels = {
    ATTENDANCE: attendanceLevel(indicators.attendanceRate, rules.attendance),
    BEHAVIOUR: behaviourLevel(indicators, rules.behaviour),
    ACADEMIC: courseworkLevel(indicators.failingSubjects, rules.coursework),
  };
  const reasons: RiskReason[] = [];
  if (levels.ATTENDANCE > ON_TRACK && indicators.attendanceRate !== null) {
    reasons.push({
      indicator: 'ATTENDANCE',
      level: levelName(levels.ATTENDANCE),
      text: `attendance ${formatPercent(indicators.attendanceRate)} over the last ${indicators.attendanceDays} school days`,
    });
  }
  if (levels.BEHAVIOUR > ON_TRACK) {
    reasons.push({
      indicator: 'BEHAVIOUR',
      level: levelName(levels.BEHAVIOUR),
      text: behaviourText(indicators, rules),
    });
  }
  if (levels.ACADEMIC > ON_TRACK) {
    reasons.push({
      indicator: 'ACADEMIC',
      level: levelName(levels.ACADEMIC),
      text: `failing ${listSubjects(orderSubjects(indicators.failingSubjects, rules))} this term`,
    });
  }
  reasons.sort((a, b) => RISK_LEVELS.indexOf(b.level) - RISK_LEVELS.indexOf(a.level));
  return {
    level: Math.max(levels.ATTENDANCE, levels.BEHAVIOUR, levels.ACADEMIC),
    attendanceLevel: levels.ATTENDANCE,
    behaviourLevel: levels.BEHAVIOUR,
    courseworkLevel: levels.ACADEMIC,
    failingCoreSubjects: rules.coursework.coreSubjects.filter((s) => indicators.failingSubjects.includes(s)).length,
    reasons,
  };
}

function behaviourText(indicators: RiskIndicators, rules: RiskRules): string {
  const parts: string[] = [];
  if (indicators.suspensions > 0) parts.push(plural(indicators.suspensions, 'suspension'));
  if (indicators.majorIncidents > 0) parts.push(plural(indicators.majorIncidents, 'major incident'));
  if (indicators.minorIncidents > 0) parts.push(plural(indicators.minorIncidents, 'minor incident'));
  return `${parts.join(', ')} in the last ${rules.behaviour.windowDays} days`;
}

export function levelName(level: number): RiskLevel {
  const name = RISK_LEVELS[level];
  if (!name) throw new RangeError(`Unknown risk level code ${level}`);
  return name;
}

function formatPercent(rate: number): string {
  return `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

const SUBJECT_NAMES: Record<string, string> = {
  ENGLISH: 'English',
  MATHS: 'maths',
  SCIENCE: 'science',
  HISTORY: 'history',
  GEOGRAPHY: 'geography',
  FRENCH: 'French',
  COMPUTING: 'computing',
  ART: 'art',
  MUSIC: 'music',
  PE: 'PE',
};

/** Core subjects first, in the rules' order, then the rest alphabetically: the same words whatever the input order. */
function orderSubjects(subjects: string[], rules: RiskRules): string[] {
  const core = rules.coursework.coreSubjects.filter((subject) => subjects.includes(subject));
  const others = subjects.filter((subject) => !core.includes(subject)).sort();
  return [...core, ...others];
}

function listSubjects(subjects: string[]): string {
  const names = subjects.map((subject) => SUBJECT_NAMES[subject] ?? subject.toLowerCase());
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
