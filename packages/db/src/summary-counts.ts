import type { Selectable } from 'kysely';

/**
 * What the dashboards count, kept by triggers in the writes' own transactions (migration
 * 20261218100000_summary_counts.ts): one row per school, scope (`school` with scope_id 0, `assignee`,
 * `classroom`), metric (`alerts`, `cases` by status; `review_year`, `review_month`, `review_day` of open cases;
 * `students` by risk level) and bucket.
 */
export interface SummaryCountTable {
  school_id: number;
  scope_kind: 'school' | 'assignee' | 'classroom';
  scope_id: number;
  metric: SummaryMetric;
  bucket: string;
  count: number;
}

export type SummaryMetric = 'alerts' | 'cases' | 'review_year' | 'review_month' | 'review_day' | 'students';
export type SummaryCount = Selectable<SummaryCountTable>;
