import { describe, expect, it } from 'vitest';
import { assessRisk, DEFAULT_RISK_RULES, levelName, type RiskIndicators } from './risk.rules.ts';

const onTrack: RiskIndicators = {
  attendanceRate: 1,
  attendanceDays: 30,
  minorIncidents: 0,
  majorIncidents: 0,
  suspensions: 0,
  failingSubjects: [],
};
const levelOf = (indicators: Partial<RiskIndicators>) => levelName(assessRisk({ ...onTrack, ...indicators }).level);

describe('attendance rule', () => {
  it.each([
    [0.95, 'ON_TRACK'],
    [0.9499, 'WATCH'],
    [0.9, 'WATCH'],
    [0.8999, 'AT_RISK'],
    [0.8, 'AT_RISK'],
    [0.7999, 'CRITICAL'],
  ])('a rate of %s is %s', (attendanceRate, level) => {
    expect(levelOf({ attendanceRate })).toBe(level);
  });

  it('no records yet is no evidence of risk', () => {
    expect(levelOf({ attendanceRate: null, attendanceDays: 0 })).toBe('ON_TRACK');
  });

  it('gives the reason in words with its facts', () => {
    expect(assessRisk({ ...onTrack, attendanceRate: 0.8636 }).reasons).toEqual([
      { indicator: 'ATTENDANCE', level: 'AT_RISK', text: 'attendance 86.4% over the last 30 school days' },
    ]);
  });
});

describe('behaviour rule', () => {
  it.each([
    [{ minorIncidents: 1 }, 'WATCH'],
    [{ minorIncidents: 2 }, 'AT_RISK'],
    [{ majorIncidents: 1 }, 'AT_RISK'],
    [{ majorIncidents: 1, suspensions: 1 }, 'CRITICAL'],
  ])('%o is %s', (indicators, level) => {
    expect(levelOf(indicators)).toBe(level);
  });

  it('names every kind of incident in its reason', () => {
    const { reasons } = assessRisk({ ...onTrack, minorIncidents: 2, majorIncidents: 1, suspensions: 1 });
    expect(reasons[0]!.text).toBe('1 suspension, 1 major incident, 2 minor incidents in the last 30 days');
  });
});

describe('coursework rule', () => {
  it.each([
    [['ART'], 'ON_TRACK'],
    [['ART', 'MUSIC'], 'ON_TRACK'],
    [['MATHS'], 'AT_RISK'],
    [['ENGLISH'], 'AT_RISK'],
    [['ENGLISH', 'MATHS'], 'CRITICAL'],
    [['ART', 'MUSIC', 'FRENCH'], 'CRITICAL'],
  ])('failing %o is %s', (failingSubjects, level) => {
    expect(levelOf({ failingSubjects })).toBe(level);
  });

  it('lists core subjects first, whatever order the results came in', () => {
    const a = assessRisk({ ...onTrack, failingSubjects: ['GEOGRAPHY', 'MATHS'] });
    const b = assessRisk({ ...onTrack, failingSubjects: ['MATHS', 'GEOGRAPHY'] });
    expect(a.reasons).toEqual(b.reasons);
    expect(a.reasons[0]!.text).toBe('failing maths and geography this term');
  });
});

describe('overall level', () => {
  it('is the worst indicator, with the worst reason first', () => {
    const assessment = assessRisk({ ...onTrack, attendanceRate: 0.93, failingSubjects: ['ENGLISH', 'MATHS'] });
    expect(levelName(assessment.level)).toBe('CRITICAL');
    expect(assessment.reasons.map((r) => r.indicator)).toEqual(['ACADEMIC', 'ATTENDANCE']);
    expect(assessment.failingCoreSubjects).toBe(2);
  });

  it('carries a version for the profiles it produces', () => {
    expect(DEFAULT_RISK_RULES.version).toMatch(/\S/);
  });
});
