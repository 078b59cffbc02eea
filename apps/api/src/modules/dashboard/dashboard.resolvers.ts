import { CASE_STATUSES, RISK_LEVELS, toTimestamp } from '@pastoral/db';
import { requireViewer } from '../../context.ts';
import type { Resolvers } from '../../graphql/resolvers-types.generated.ts';
import type { Viewer } from '../auth/viewer.ts';
import {
  countNewAlerts,
  countOpenCasesByStatus,
  countOverdueReviews,
  countStudentsByRiskLevel,
  listNewlyAtRisk,
} from './dashboard.repository.ts';

/** Each figure is computed only when the query asks for it. */
export interface DashboardModel {
  viewer: Viewer;
  computedAt: string;
}

const WEEK_MS = 7 * 86_400_000;

export const dashboardResolvers: Resolvers = {
  Query: {
    dashboard: (_parent, _args, context) => ({ viewer: requireViewer(context), computedAt: toTimestamp(context.now) }),
  },
  Dashboard: {
    newAlerts: ({ viewer }, _args, context) => countNewAlerts(context.db, viewer),
    openCasesByStatus: async ({ viewer }, _args, context) => {
      const counts = await countOpenCasesByStatus(context.db, viewer);
      return CASE_STATUSES.filter((status) => status !== 'CLOSED').map((status) => ({
        status,
        count: counts.get(status) ?? 0,
      }));
    },
    overdueReviews: ({ viewer }, _args, context) => countOverdueReviews(context.db, viewer, context.today),
    studentsByRiskLevel: async ({ viewer }, _args, context) => {
      const counts = await countStudentsByRiskLevel(context.db, viewer);
      return RISK_LEVELS.map((level, code) => ({ level, count: counts.get(code) ?? 0 }));
    },
    newlyAtRisk: ({ viewer }, args, context) =>
      listNewlyAtRisk(context.db, viewer, toTimestamp(new Date(context.now.getTime() - WEEK_MS)), args),
    computedAt: ({ computedAt }) => computedAt,
  },
};
