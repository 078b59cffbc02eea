/** The Apollo server: its limits, its plugins and how it words errors; routes and context are set elsewhere. */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import type { GraphQLSchema } from 'graphql';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { auditActor, type GraphQLContext } from '../context.ts';
import type { CompiledExecutor } from '../graphql/compiled-executor.ts';
import {
  aliasLimitRule,
  costLimitPlugin,
  depthLimitRule,
  documentShapeLimit,
  LIMITS,
  noSubscriptionsRule,
  oncePerRequestRule,
  rootFieldLimitRule,
} from '../graphql/limits.ts';
import { PERSISTED_QUERY_TTL_SECONDS, RedisKeyValueCache } from '../graphql/persisted-queries.ts';
import { typeAccessPlugin } from '../graphql/type-access.ts';
import type { Metrics } from './metrics.ts';
import { accessRefusalsPlugin } from '../modules/audit-log/access-refusals.ts';
import { readsRecordingPlugin } from '../modules/audit-log/request-reads.ts';
import {
  dashboardInvalidationPlugin,
  errorLoggingPlugin,
  operationMetricsPlugin,
  operationTypePlugin,
  serviceUnavailablePlugin,
} from './apollo-plugins.ts';
import { errorFormatter } from './error-format.ts';
import type { ServerApp } from './fastify-app.ts';

export interface ApolloDependencies {
  config: Config;
  schema: GraphQLSchema;
  /** graphql-jit's executor when GRAPHQL_EXECUTOR is jit; null for graphql-js's. */
  compiled: CompiledExecutor | null;
  redis: Redis | null;
  logger: Logger;
  metrics: Metrics;
}

/** A started Apollo server that drains with `app`. */
export async function startApollo(
  app: ServerApp,
  { config, schema, compiled, redis, logger, metrics }: ApolloDependencies,
): Promise<ApolloServer<GraphQLContext>> {
  const documentShape = documentShapeLimit<GraphQLContext>();
  const apollo = new ApolloServer<GraphQLContext>({
    ...(compiled ? { gateway: compiled.gateway } : { schema }),
    // Set explicitly rather than left to NODE_ENV defaults.
    introspection: config.graphql.introspection,
    includeStacktraceInErrorResponses: config.graphql.revealErrorDetails,
    hideSchemaDetailsFromClientErrors: !config.graphql.revealErrorDetails,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // Automatic persisted queries (the web app sends hashes): shared through Redis when there is one.
    persistedQueries: {
      ttl: PERSISTED_QUERY_TTL_SECONDS,
      ...(redis
        ? {
            cache: new RedisKeyValueCache(redis, 'pastoral:apq:', (error) =>
              logger.warn({ err: error }, 'persisted queries: Redis did not answer; asking clients for the text'),
            ),
          }
        : {}),
    },
    // Counted by the parser itself, so a syntax error is still a 400 (graphql-armor's token plugin made it 500).
    parseOptions: { maxTokens: LIMITS.maxTokens },
    validationRules: [
      documentShape.rule,
      depthLimitRule(LIMITS.maxDepth),
      aliasLimitRule(LIMITS.maxAliases),
      rootFieldLimitRule(LIMITS.maxRootFields),
      oncePerRequestRule('signIn'),
      noSubscriptionsRule(),
    ],
    plugins: [
      fastifyApolloDrainPlugin(app),
      // Apollo's implicit cache-control plugin costs about a third of its CPU per request and serves us nothing.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      ...(config.graphql.revealErrorDetails ? [] : [ApolloServerPluginDisableSuggestions()]),
      documentShape.plugin,
      costLimitPlugin(),
      typeAccessPlugin(),
      readsRecordingPlugin((context) => {
        // The record of what was read is not the query's to pay for: it may take the statement or two past
        // the budget that the query itself may not.
        if (context.statementBudget) context.statementBudget.limit = Number.POSITIVE_INFINITY;
        return {
          db: context.db,
          dialect: context.dialect,
          reads: context.reads,
          recordedViews: context.recordedViews,
          actor: auditActor(context),
          viewerId: context.viewer?.user.id ?? null,
          now: context.now,
          today: context.today,
        };
      }),
      accessRefusalsPlugin(auditActor),
      serviceUnavailablePlugin(),
      operationTypePlugin(LIMITS.maxStatementsPerQuery),
      errorLoggingPlugin(),
      dashboardInvalidationPlugin(),
      operationMetricsPlugin(metrics),
    ],
    formatError: errorFormatter(config),
  });
  await apollo.start();
  return apollo;
}
