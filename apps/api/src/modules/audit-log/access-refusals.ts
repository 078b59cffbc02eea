/**
 * Refused attempts to reach records, on the record as summaries (audit-summary.ts): a 403 (a field the
 * principal may not use, a type a token's scopes do not cover), or an id of another school's record, which for
 * a principal of one school does not exist and is answered as missing. One opening entry per principal and
 * quarter hour, and one closing entry with the count: a script probing ids writes two entries, not thousands,
 * and after the first queues nothing on the audit chain's head.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Database, EngineDialect } from '@pastoral/db';
import { type DocumentNode, Kind, visit } from 'graphql';
import type { Kysely } from 'kysely';
import { fromGlobalId } from '../../graphql/relay.ts';
import type { TokenPrincipal } from '../api-tokens/token-principal.ts';
import type { Viewer } from '../auth/viewer.ts';
import { recordSummarisedEvent } from './audit-summary.ts';
import type { AuditActor } from './audit.writer.ts';

/** The window refusals are counted in, per principal. */
export const REFUSALS_SUMMARY_MS = 15 * 60_000;

/** Whether a value sent (a variable, or a literal of the document) holds an id of another school's record. */
function namesAnotherSchool(value: unknown, schoolId: number): boolean {
  // Without recursion: the server refuses deeply nested variables, but this must not be what overflows if not.
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      const decoded = fromGlobalId(next);
      if (decoded !== null && decoded.key.schoolId !== null && decoded.key.schoolId !== schoolId) return true;
    } else if (next !== null && typeof next === 'object') {
      // One by one: spreading a list of 100,000 items into push's arguments would overflow the stack itself.
      for (const item of Array.isArray(next) ? next : Object.values(next)) pending.push(item);
    }
  }
  return false;
}

/** The ids written into each document, found once per document (Apollo keeps a parsed document for its text). */
const idsInDocuments = new WeakMap<DocumentNode, string[]>();

function documentNamesAnotherSchool(document: DocumentNode, schoolId: number): boolean {
  let ids = idsInDocuments.get(document);
  if (!ids) {
    const found: string[] = [];
    visit(document, {
      [Kind.STRING](node) {
        if (fromGlobalId(node.value)) found.push(node.value);
      },
    });
    idsInDocuments.set(document, (ids = found));
  }
  return ids.length > 0 && namesAnotherSchool(ids, schoolId);
}

interface RefusalsContext {
  db: Kysely<Database>;
  dialect: EngineDialect;
  viewer: Viewer | null;
  token: TokenPrincipal | null;
  now: Date;
  logger: { warn(object: object, message: string): void };
  statementBudget?: { limit: number };
}

/**
 * Records the refusals of each request of a member of staff or a token, after it is answered and before its
 * response leaves. A request by nobody is not a refusal (it is asked to sign in). A district-wide principal
 * has no other school.
 */
export function accessRefusalsPlugin<TContext extends RefusalsContext>(
  actorOf: (context: TContext) => AuditActor,
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue, request, document }) {
          const { viewer, token } = contextValue;
          if (!viewer && !token) return;
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const reasons: ('forbidden' | 'other_school')[] = [];
          if (errors.some((error) => error.extensions?.code === 'FORBIDDEN')) reasons.push('forbidden');
          const schoolId = viewer ? viewer.schoolId : token!.schoolId;
          if (
            schoolId !== null &&
            (namesAnotherSchool(request.variables ?? {}, schoolId) ||
              (document !== undefined && documentNamesAnotherSchool(document, schoolId)))
          ) {
            reasons.push('other_school');
          }
          if (reasons.length === 0) return;
          const principal = viewer ? `user:${viewer.user.id}` : `token:${token!.tokenId}`;
          // The record of a refusal is not the query's to pay for (see the statement budget).
          if (contextValue.statementBudget) contextValue.statementBudget.limit = Number.POSITIVE_INFINITY;
          try {
            await recordSummarisedEvent(
              contextValue.db,
              contextValue.dialect,
              { key: `access.refused:${principal}`, windowMs: REFUSALS_SUMMARY_MS },
              actorOf(contextValue),
              { action: 'access.refused', schoolId, userId: viewer?.user.id ?? null, reasons },
              contextValue.now,
            );
          } catch (error) {
            // The answer is a refusal either way; a refusal that cannot be recorded is logged, not turned into a 503.
            contextValue.logger.warn({ err: error }, 'a refused access could not be recorded');
          }
        },
      };
    },
  };
}
