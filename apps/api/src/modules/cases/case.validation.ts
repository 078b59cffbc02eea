/** The editable fields of a case, checked before anything is written: a field that fails is a userError naming it. */
import type { InterventionCase } from '@pastoral/db';
import { failure, type Outcome, requireText, success, userError } from '../../graphql/mutations.ts';

export const CASE_CATEGORIES = ['ATTENDANCE', 'BEHAVIOUR', 'ACADEMIC', 'WELLBEING'] as const;

export interface CaseFields {
  title?: string | null;
  category?: string | null;
  tier?: number | null;
  priority?: number | null;
  goal?: string | null;
  nextReviewAt?: string | null;
}

/** Validates the editable fields that are present; returns their column values. */
export function validateCaseFields(fields: CaseFields, today: string): Outcome<Partial<InterventionCase>> {
  const values: Partial<InterventionCase> = {};
  if (fields.title != null) {
    const title = requireText(fields.title, ['input', 'title'], 200);
    if (!title.ok) return title;
    values.title = title.value;
  }
  if (fields.category != null) {
    if (!(CASE_CATEGORIES as readonly string[]).includes(fields.category)) {
      return failure(
        userError('INVALID', `category must be one of ${CASE_CATEGORIES.join(', ')}.`, ['input', 'category']),
      );
    }
    values.category = fields.category;
  }
  if (fields.tier != null) {
    if (!Number.isInteger(fields.tier) || fields.tier < 1 || fields.tier > 3) {
      return failure(userError('INVALID', 'tier must be 1, 2 or 3.', ['input', 'tier']));
    }
    values.tier = fields.tier;
  }
  if (fields.priority != null) values.priority = fields.priority;
  if (fields.goal != null) {
    const goal = fields.goal.trim();
    if (goal.length > 2000)
      return failure(userError('INVALID', 'goal is longer than 2,000 characters.', ['input', 'goal']));
    values.goal = goal || null;
  }
  if (fields.nextReviewAt != null) {
    if (fields.nextReviewAt < today) {
      return failure(userError('INVALID', 'nextReviewAt must be today (UTC) or later.', ['input', 'nextReviewAt']));
    }
    values.next_review_at = fields.nextReviewAt;
  }
  return success(values);
}
