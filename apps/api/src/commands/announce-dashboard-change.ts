import type { Config } from '../config.ts';
import { forgetEveryDashboard } from '../modules/dashboard/dashboard.cache.ts';
import type { CommandIo } from './command-io.ts';

/** A job changed what dashboards count: API processes forget their cached figures, or catch up within the TTL. */
export async function announceDashboardChange(io: CommandIo, config: Config, databaseDescription: string) {
  const forgotten = await forgetEveryDashboard(config.redisUrl, databaseDescription).catch((error: unknown) => {
    io.out(`Could not reach Redis to refresh the dashboards (${(error as Error).message}).`);
    return false;
  });
  if (!forgotten && config.dashboardCache.ttlSeconds > 0) {
    io.out(`Dashboards show the new figures within ${config.dashboardCache.ttlSeconds} s (DASHBOARD_CACHE_TTL_S).`);
  }
}
