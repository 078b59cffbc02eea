import { auditActor, type GraphQLContext, requireToken } from '../../context.ts';
import { type Outcome, payload } from '../../graphql/mutations.ts';
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

function ingestPayload(outcome: Outcome<IngestResult>) {
  return payload(outcome, (result) => result, {
    recorded: 0,
    studentsRecomputed: 0,
    alertsRaised: 0,
    alertsResolved: 0,
  });
}

export const ingestResolvers: Resolvers = {
  Mutation: {
    upsertStudents: async (_parent, { input }, context) => {
      const outcome = await upsertStudents(ingestContext(context, 'roster:write'), {
        ...input,
        idempotencyKey: input.idempotencyKey ?? context.request.idempotencyKey,
      });
      return payload(outcome, (result) => result, { created: 0, updated: 0 });
    },
    recordAttendance: async (_parent, { input }, context) =>
      ingestPayload(
        await ingest(ingestContext(context, 'attendance:write'), ATTENDANCE, {
          ...input,
          idempotencyKey: input.idempotencyKey ?? context.request.idempotencyKey,
        }),
      ),
    recordBehaviourIncidents: async (_parent, { input }, context) =>
      ingestPayload(
        await ingest(ingestContext(context, 'behaviour:write'), BEHAVIOUR, {
          ...input,
          idempotencyKey: input.idempotencyKey ?? context.request.idempotencyKey,
        }),
      ),
    recordAssessmentResults: async (_parent, { input }, context) =>
      ingestPayload(
        await ingest(ingestContext(context, 'assessments:write'), ASSESSMENTS, {
          ...input,
          idempotencyKey: input.idempotencyKey ?? context.request.idempotencyKey,
        }),
      ),
  },
};
