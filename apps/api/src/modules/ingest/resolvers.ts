import { auditActor, type GraphQLContext, requireToken } from '../../context.ts';
import type { Outcome } from '../../graphql/mutations.ts';
import type { Resolvers } from '../../graphql/resolvers-types.generated.ts';
import { upsertStudents } from './roster.ts';
import { ASSESSMENTS, ATTENDANCE, BEHAVIOUR, type IngestContext, type IngestResult, ingest } from './ingest.ts';

function ingestContext(context: GraphQLContext, scope: Parameters<typeof requireToken>[1]): IngestContext {
  return {
    db: context.db,
    dialect: context.dialect,
    token: requireToken(context, scope),
    actor: auditActor(context),
    rules: context.riskRules,
    now: context.now,
  };
}

function payload(outcome: Outcome<IngestResult>) {
  return outcome.ok
    ? { ...outcome.value, userErrors: [] }
    : { recorded: 0, studentsRecomputed: 0, alertsRaised: 0, alertsResolved: 0, userErrors: outcome.userErrors };
}

export const ingestResolvers: Resolvers = {
  Mutation: {
    upsertStudents: async (_parent, { input }, context) => {
      const outcome = await upsertStudents(ingestContext(context, 'roster:write'), {
        ...input,
        idempotencyKey: input.idempotencyKey ?? context.request.idempotencyKey,
      });
      return outcome.ok
        ? { ...outcome.value, userErrors: [] }
        : { created: 0, updated: 0, userErrors: outcome.userErrors };
    },
    recordAttendance: async (_parent, { input }, context) =>
      payload(
        await ingest(ingestContext(context, 'attendance:write'), ATTENDANCE, {
          ...input,
          idempotencyKey: input.idempotencyKey ?? context.request.idempotencyKey,
        }),
      ),
    recordBehaviourIncidents: async (_parent, { input }, context) =>
      payload(
        await ingest(ingestContext(context, 'behaviour:write'), BEHAVIOUR, {
          ...input,
          idempotencyKey: input.idempotencyKey ?? context.request.idempotencyKey,
        }),
      ),
    recordAssessmentResults: async (_parent, { input }, context) =>
      payload(
        await ingest(ingestContext(context, 'assessments:write'), ASSESSMENTS, {
          ...input,
          idempotencyKey: input.idempotencyKey ?? context.request.idempotencyKey,
        }),
      ),
  },
};
