/**
 * The types the dashboard's GraphQL types map to (codegen's `mappers`): the generated resolver types import this
 * file, so it imports nothing that imports them.
 */
import type { CASE_STATUSES, RISK_LEVELS } from '@pastoral/db';
import type { Viewer } from '../auth/viewer.ts';
import type { DashboardCacheView } from './dashboard.cache.ts';
import type { DashboardScope } from './dashboard.repository.ts';

/** The figures counted together, and cached together so that they agree with each other and with computedAt. */
export interface DashboardFigures {
  computedAt: string;
  newAlerts: number;
  openCasesByStatus: { status: (typeof CASE_STATUSES)[number]; count: number }[];
  overdueReviews: number;
  studentsByRiskLevel: { level: (typeof RISK_LEVELS)[number]; count: number }[];
}

/** Nothing is counted until the query asks for a figure. */
export interface DashboardModel {
  viewer: Viewer;
  /** What the figures count over, read only when one must be counted. */
  scope: () => Promise<DashboardScope>;
  figures: () => Promise<DashboardFigures>;
  cache: () => Promise<DashboardCacheView>;
}
