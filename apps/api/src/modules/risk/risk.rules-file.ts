/**
 * A district's own cut points: a JSON file (RISK_RULES_FILE) that overrides any of the defaults and names its
 * version, which every profile it computes records.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_RISK_RULES, type RiskRules } from './risk.rules.ts';

const share = z.number().min(0).max(1);
const rulesFileSchema = z
  .object({
    version: z.string().min(1).max(32),
    attendance: z
      .object({
        windowSchoolDays: z.number().int().min(5).max(200),
        watchBelow: share,
        atRiskBelow: share,
        criticalBelow: share,
      })
      .partial()
      .optional(),
    behaviour: z
      .object({
        windowDays: z.number().int().min(1).max(365),
        watchMinorIncidents: z.number().int().min(1),
        atRiskMinorIncidents: z.number().int().min(1),
      })
      .partial()
      .optional(),
    coursework: z
      .object({
        coreSubjects: z.array(z.string().regex(/^[A-Z_]+$/)).min(1),
        criticalFailingSubjects: z.number().int().min(1),
      })
      .partial()
      .optional(),
  })
  .strict();

export class RiskRulesError extends Error {
  override name = 'RiskRulesError';
}

/** The rules in force: the defaults, with a district's file laid over them. */
export function loadRiskRules(path: string | undefined): RiskRules {
  if (!path) return DEFAULT_RISK_RULES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new RiskRulesError(`RISK_RULES_FILE ${path} cannot be read as JSON: ${(error as Error).message}`);
  }
  const result = rulesFileSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new RiskRulesError(`RISK_RULES_FILE ${path} is not valid: ${problems.join('; ')}`);
  }
  const file = result.data;
  const rules: RiskRules = {
    version: file.version,
    attendance: { ...DEFAULT_RISK_RULES.attendance, ...file.attendance },
    behaviour: { ...DEFAULT_RISK_RULES.behaviour, ...file.behaviour },
    coursework: { ...DEFAULT_RISK_RULES.coursework, ...file.coursework },
  };
  const { watchBelow, atRiskBelow, criticalBelow } = rules.attendance;
  if (!(criticalBelow <= atRiskBelow && atRiskBelow <= watchBelow)) {
    throw new RiskRulesError(
      `RISK_RULES_FILE ${path}: attendance cut points must satisfy criticalBelow <= atRiskBelow <= watchBelow.`,
    );
  }
  if (rules.behaviour.watchMinorIncidents > rules.behaviour.atRiskMinorIncidents) {
    throw new RiskRulesError(`RISK_RULES_FILE ${path}: watchMinorIncidents must not exceed atRiskMinorIncidents.`);
  }
  return rules;
}
