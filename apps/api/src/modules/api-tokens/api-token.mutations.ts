import { API_TOKEN_SCOPES, type ApiTokenScope, toTimestamp } from '@pastoral/db';
import { failure, inTransaction, type Outcome, requireText, success, userError } from '../../graphql/mutations.ts';
import { appendAuditEntry } from '../audit-log/audit.writer.ts';
import type { MutationContext } from '../../context.ts';
import { hashApiToken, newApiToken, TOKEN_PREFIX } from './api-token.ts';
import { managesApiTokens, mayRevokeApiToken, schoolOfNewToken } from './api-token.policy.ts';
import { schoolExists } from '../schools/school.repository.ts';
import { apiTokenById, findApiToken, insertApiToken, markApiTokenRevoked } from './api-token.repository.ts';

const YEAR_MS = 365 * 86_400_000;

type ApiTokenRow = Awaited<ReturnType<typeof apiTokenById>>;

export async function createApiToken(
  context: MutationContext,
  input: { name: string; scopes: ApiTokenScope[]; schoolId: number | null; expiresAt: string | null },
): Promise<Outcome<{ token: string; apiToken: ApiTokenRow }>> {
  const { viewer, now } = context;
  if (!managesApiTokens(viewer)) {
    return failure(userError('INVALID', 'Only school and district admins can create API tokens.'));
  }
  const school = schoolOfNewToken(viewer, input.schoolId);
  if (!school.allowed) {
    return failure(
      userError('INVALID', 'A school admin creates tokens for their own school only.', ['input', 'schoolId']),
    );
  }
  const { schoolId } = school;
  const name = requireText(input.name, ['input', 'name'], 100);
  if (!name.ok) return name;
  const scopes = [...new Set(input.scopes)].filter((scope) => (API_TOKEN_SCOPES as readonly string[]).includes(scope));
  if (scopes.length === 0)
    return failure(userError('INVALID', 'A token needs at least one scope.', ['input', 'scopes']));
  const latest = toTimestamp(new Date(now.getTime() + 2 * YEAR_MS));
  const expiresAt = input.expiresAt ?? toTimestamp(new Date(now.getTime() + YEAR_MS));
  if (expiresAt <= toTimestamp(now) || expiresAt > latest) {
    return failure(
      userError('INVALID', 'expiresAt must be in the future and at most two years ahead.', ['input', 'expiresAt']),
    );
  }
  return inTransaction(context.db, async (trx) => {
    if (schoolId !== null && !(await schoolExists(trx, schoolId)))
      return failure(userError('NOT_FOUND', 'No such school.', ['input', 'schoolId']));
    const token = newApiToken();
    const id = await insertApiToken(trx, {
      school_id: schoolId,
      name: name.value,
      token_prefix: token.slice(0, TOKEN_PREFIX.length + 6),
      token_hash: hashApiToken(token),
      scopes: scopes.join(' '),
      created_by: viewer.user.id,
      created_at: toTimestamp(now),
      expires_at: expiresAt,
    });
    await appendAuditEntry(
      trx,
      context.dialect,
      context.actor,
      {
        action: 'api_token.created',
        schoolId,
        apiTokenId: id,
        changes: { name: name.value, scopes, expiresAt },
      },
      now,
    );
    return success({ token, apiToken: await apiTokenById(trx, id) });
  });
}

export async function revokeApiToken(context: MutationContext, id: number): Promise<Outcome<ApiTokenRow>> {
  const { viewer, now } = context;
  return inTransaction(context.db, async (trx) => {
    const token = await findApiToken(trx, id);
    if (!token || !mayRevokeApiToken(viewer, token))
      return failure(userError('NOT_FOUND', 'No such API token, or not one you manage.', ['input', 'id']));
    if (token.revoked_at === null) {
      await markApiTokenRevoked(trx, id, toTimestamp(now));
      await appendAuditEntry(
        trx,
        context.dialect,
        context.actor,
        {
          action: 'api_token.revoked',
          schoolId: token.school_id,
          apiTokenId: id,
          changes: {},
        },
        now,
      );
    }
    return success(await apiTokenById(trx, id));
  });
}
