import { CASE_STATUSES, RISK_LEVELS, toTimestamp } from '@pastoral/db';
import { type GraphQLContext, requireViewer } from '../../context.ts';
import { COUNT_CAP, type ConnectionModel } from '../../paging/connection.ts';
import type { Resolvers } from '../../graphql/resolvers-types.generated.ts';
import type { DashboardFigures } from './dashboard.mappers.ts';
import {
  countDashboard,
  countNewlyAtRisk,
  type DashboardScope,
  dashboardScope,
  listNewlyAtRisk,
} from './dashboard.repository.ts';

/** A page of newlyAtRisk as plain data the cache can hold; its count is a part of its own, read when asked for. */
type CachedConnection = Omit<ConnectionModel, 'totalCount' | 'totalCountIsCapped'>;

const WEEK_MS = 7 * 86_400_000;

async function countFigures(context: GraphQLContext, scope: DashboardScope): Promise<DashboardFigures> {
  const counts = await countDashboard(context.db, scope, context.today);
  return {
    computedAt: toTimestamp(context.now),
    newAlerts: counts.newAlerts,
    openCasesByStatus: CASE_STATUSES.filter((status) => status !== 'CLOSED').map((status) => ({
      status,
      count: counts.openCasesByStatus.get(status) ?? 0,
    })),
    overdueReviews: counts.overdueReviews,
    studentsByRiskLevel: RISK_LEVELS.map((level, code) => ({
      level,
      count: counts.studentsByRiskLevel.get(code) ?? 0,
    })),
  };
}

const once = <T>(compute: () => Promise<T>) => {
  let value: Promise<T> | undefined;
  return () => (value ??= compute());
};

export const dashboardResolvers: Resolvers = {
  Query: {
    dashboard: (_parent, _args, context) => {
      const viewer = requireViewer(context);
      const cache = once(() => context.dashboardCache.forViewer(viewer));
      const scope = once(() => dashboardScope(context.db, viewer));
      return {
        viewer,
        scope,
        cache,
        figures: once(async () => (await cache()).read('figures', async () => countFigures(context, await scope()))),
      };
    },
  },
  Dashboard: {
    newAlerts: async ({ figures }) => (await figures()).newAlerts,
    openCasesByStatus: async ({ figures }) => (await figures()).openCasesByStatus,
    overdueReviews: async ({ figures }) => (await figures()).overdueReviews,
    studentsByRiskLevel: async ({ figures }) => (await figures()).studentsByRiskLevel,
    computedAt: async ({ figures }) => (await figures()).computedAt,
    newlyAtRisk: async ({ scope, cache }, args, context) => {
      const since = toTimestamp(new Date(context.now.getTime() - WEEK_MS));
      const view = await cache();
      const page = await view.read(
        `newlyAtRisk:${args.first ?? ''}:${args.after ?? ''}`,
        async (): Promise<CachedConnection> => {
          const {
            totalCount: _count,
            totalCountIsCapped: _capped,
            ...connection
          } = await listNewlyAtRisk(context.db, await scope(), since, args);
          return connection;
        },
      );
      // Counting a school's or the district's week is the dashboard's dearest statement: only for a client that
      // shows the total (the web app's panel does not).
      const counted = once(() =>
        view.read('newlyAtRiskCount', async () => countNewlyAtRisk(context.db, await scope(), since)),
      );
      return {
        ...page,
        totalCount: async () => Math.min(await counted(), COUNT_CAP),
        totalCountIsCapped: async () => (await counted()) > COUNT_CAP,
      };
    },
  },
};
