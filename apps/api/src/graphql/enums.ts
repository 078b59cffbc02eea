/** Ordered enums travel as names in GraphQL and as integer codes in the database: the mapping, both ways. */
import { ALERT_SEVERITIES, CASE_PRIORITIES, RISK_LEVELS } from '@pastoral/db';

function nameOf<T extends string>(names: readonly (T | null)[], code: number, what: string): T {
  const name = names[code];
  if (name == null) throw new RangeError(`Unknown ${what} code ${code}`);
  return name;
}

export const riskLevelName = (code: number) => nameOf(RISK_LEVELS, code, 'risk level');
export const riskLevelCode = (name: (typeof RISK_LEVELS)[number]) => RISK_LEVELS.indexOf(name);
export const priorityName = (code: number) => nameOf(CASE_PRIORITIES, code, 'priority');
export const priorityCode = (name: (typeof CASE_PRIORITIES)[number]) => CASE_PRIORITIES.indexOf(name);
export const severityName = (code: number) => nameOf(ALERT_SEVERITIES, code, 'severity');
export const severityCode = (name: NonNullable<(typeof ALERT_SEVERITIES)[number]>) => ALERT_SEVERITIES.indexOf(name);
