/**
 * What the API tells the client it may do (`viewerCan`, `allowedStatusMoves`) is what the mutations then do: for
 * each kind of principal and each target of the authorization fixture, every flag is true exactly when the
 * mutation it names succeeds, and every status move is offered exactly when changeCaseStatus makes it. The
 * flags and the mutations call the same policy functions; this holds them to it from the outside.
 */
import type { Database } from '@pastoral/db';
import { testEngines } from '@pastoral/db/testing';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId, toGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, type GraphQLResponse, startApiHarness } from '../../testing/api-harness.ts';
import {
  type AuthorizationFixture,
  makeAuthorizationFixture,
  type Principal,
  PRINCIPALS,
  sender,
  STAFF_EMAILS,
  type Target,
  type TargetRecords,
  TARGETS,
} from '../../testing/authorization-fixture.ts';

type Db = Kysely<Database>;
type Json = Record<string, unknown>;

const STATUSES = ['OPEN', 'IN_PROGRESS', 'MONITORING', 'CLOSED'] as const;
const ALERT_STATUSES = ['NEW', 'ACKNOWLEDGED', 'DISMISSED', 'ESCALATED'] as const;

/** Each staff role, and a district-wide token of each read scope (which reads every target and changes none). */
const TRIED: Principal[] = PRINCIPALS.filter(
  (principal) =>
    principal.kind === 'staff' ||
    (principal.kind === 'token' &&
      principal.districtWide &&
      ['cases:read', 'alerts:read', 'students:read'].includes(principal.scope)),
);

/** Whether a mutation's answer is a success: its payload's `field` set, no userErrors and no errors. */
function succeeded(response: GraphQLResponse, root: string, field: string): boolean {
  const payload = (response.body.data as Json | null | undefined)?.[root] as Json | null | undefined;
  return (
    !response.body.errors &&
    payload != null &&
    payload[field] != null &&
    (payload.userErrors as unknown[] | undefined)?.length === 0
  );
}

const nodeOf = (response: GraphQLResponse) =>
  ((response.body.data as Json | null | undefined)?.node ?? null) as Json | null;

async function restoreCase(db: Db, target: TargetRecords, status: (typeof STATUSES)[number]) {
  const { id, ...columns } = target.rowsAsMade.case;
  const closed = status === 'CLOSED';
  await db
    .updateTable('intervention_cases')
    .set({ ...columns, status, outcome: closed ? 'IMPROVED' : null, closed_at: closed ? columns.updated_at : null })
    .where('id', '=', id)
    .execute();
}

async function restoreAlert(db: Db, target: TargetRecords, status: (typeof ALERT_STATUSES)[number]) {
  const { id, ...columns } = target.rowsAsMade.alert;
  await db
    .updateTable('alerts')
    .set({ ...columns, status })
    .where('id', '=', id)
    .execute();
}

/** Takes away a case a mutation of the test opened, so that it changes no one's view of the targets. */
async function removeCase(db: Db, caseGlobalId: string | undefined) {
  if (!caseGlobalId) return;
  const id = fromGlobalId(caseGlobalId)!.key.id;
  await db.deleteFrom('case_alerts').where('case_id', '=', id).execute();
  await db.deleteFrom('case_events').where('case_id', '=', id).execute();
  await db.deleteFrom('intervention_cases').where('id', '=', id).execute();
}

const CASE_QUERY = `query ($id: ID!) { node(id: $id) { ... on InterventionCase {
  id version viewerCan { update reassign addNote addRestrictedNote changeStatus } allowedStatusMoves } } }`;
const ALERT_QUERY = `query ($id: ID!) { node(id: $id) { ... on Alert { id viewerCan { acknowledge dismiss escalate } } } }`;
const STUDENT_QUERY = `query ($id: ID!) { node(id: $id) { ... on Student {
  id viewerCan { openCase raiseConcern readViewedBy readDisclosures }
  viewedBy(first: 1) { totalCount } disclosures(first: 1) { totalCount } } } }`;
// A token without audit:read is refused a document that names the audit fields at all.
const STUDENT_QUERY_NO_AUDIT = `query ($id: ID!) { node(id: $id) { ... on Student {
  id viewerCan { openCase raiseConcern readViewedBy readDisclosures } } } }`;

const CHANGE_STATUS = `mutation ($input: ChangeCaseStatusInput!) {
  changeCaseStatus(input: $input) { case { id status } userErrors { code } } }`;
const UPDATE_CASE = `mutation ($input: UpdateCaseInput!) { updateCase(input: $input) { case { id } userErrors { code } } }`;
const ADD_NOTE = `mutation ($input: AddCaseNoteInput!) { addCaseNote(input: $input) { event { id } userErrors { code } } }`;
const ACKNOWLEDGE = `mutation ($input: AcknowledgeAlertInput!) {
  acknowledgeAlert(input: $input) { alert { id } userErrors { code } } }`;
const DISMISS = `mutation ($input: DismissAlertInput!) { dismissAlert(input: $input) { alert { id } userErrors { code } } }`;
const ESCALATE = `mutation ($input: EscalateAlertInput!) {
  escalateAlert(input: $input) { case { id } userErrors { code } } }`;
const OPEN_CASE = `mutation ($input: OpenCaseInput!) { openCase(input: $input) { case { id } userErrors { code } } }`;
const RAISE_CONCERN = `mutation ($input: RaiseConcernInput!) {
  raiseConcern(input: $input) { alert { id } userErrors { code } } }`;
const REVOKE_TOKEN = `mutation ($input: RevokeApiTokenInput!) {
  revokeApiToken(input: $input) { apiToken { id } userErrors { code } } }`;
const CREATE_TOKEN = `mutation ($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { apiToken { id } userErrors { code } } }`;

const caseId = (response: GraphQLResponse, root: string) =>
  ((response.body.data as Json | null | undefined)?.[root] as { case?: { id: string } | null } | undefined)?.case?.id;

for (const engine of testEngines()) {
  describe(`viewerCan agrees with the mutations, on ${engine.name}`, () => {
    let api: ApiHarness;
    let fixture: AuthorizationFixture;
    let db: Db;
    /** Someone each target's case may be given to: an active member of its school who owns none of the targets. */
    const otherStaff = new Map<Target, string>();

    beforeAll(async () => {
      api = await startApiHarness(engine);
      fixture = await makeAuthorizationFixture(api);
      db = api.database.handle.db;
      const named = Object.values(STAFF_EMAILS);
      for (const target of TARGETS) {
        const records = fixture.targets[target];
        const owners = TARGETS.map((other) => fromGlobalId(fixture.targets[other].owner)!.key.id);
        const schoolId = records.rowsAsMade.case.school_id;
        const someone = await db
          .selectFrom('users')
          .select('id')
          .where('school_id', '=', schoolId)
          .where('is_active', '=', 1)
          .where('id', 'not in', owners)
          .where('email', 'not in', named)
          .orderBy('id')
          .executeTakeFirstOrThrow();
        otherStaff.set(target, toGlobalId('User', someone.id));
      }
    });
    afterAll(async () => {
      await api?.close();
    });

    for (const principal of TRIED) {
      it(`as ${principal.name}: a case's flags and status moves`, async () => {
        const send = sender(api, fixture, principal);
        let mayReassignAny = false;
        for (const target of TARGETS) {
          const records = fixture.targets[target];
          for (const from of STATUSES) {
            const where = `${principal.name}, the ${target} target's ${from} case`;
            await restoreCase(db, records, from);
            const shown = nodeOf(await send(CASE_QUERY, { id: records.case }));
            const can = (shown?.viewerCan ?? {}) as Record<string, boolean>;
            const moves = (shown?.allowedStatusMoves ?? []) as string[];
            const version = records.rowsAsMade.case.version;

            const madeMoves: string[] = [];
            for (const to of STATUSES) {
              await restoreCase(db, records, from);
              const input = {
                id: records.case,
                expectedVersion: version,
                status: to,
                ...(to === 'CLOSED' ? { outcome: 'IMPROVED' } : {}),
              };
              if (succeeded(await send(CHANGE_STATUS, { input }), 'changeCaseStatus', 'case')) madeMoves.push(to);
            }
            expect
              .soft(moves, `${where}: allowedStatusMoves against the moves changeCaseStatus made`)
              .toEqual(madeMoves);
            expect.soft(can.changeStatus === true, `${where}: viewerCan.changeStatus`).toBe(madeMoves.length > 0);

            await restoreCase(db, records, from);
            const updated = await send(UPDATE_CASE, {
              input: { id: records.case, expectedVersion: version, title: 'Changed by viewer-can.test' },
            });
            expect
              .soft(can.update === true, `${where}: viewerCan.update`)
              .toBe(succeeded(updated, 'updateCase', 'case'));

            await restoreCase(db, records, from);
            const reassigned = await send(UPDATE_CASE, {
              input: { id: records.case, expectedVersion: version, assignedToId: otherStaff.get(target) },
            });
            const reassignedOk = succeeded(reassigned, 'updateCase', 'case');
            mayReassignAny ||= reassignedOk;
            expect.soft(can.reassign === true, `${where}: viewerCan.reassign`).toBe(reassignedOk);

            for (const restricted of [false, true]) {
              await restoreCase(db, records, from);
              const noted = await send(ADD_NOTE, {
                input: { caseId: records.case, body: 'A note of viewer-can.test', restricted },
              });
              const flag = restricted ? 'addRestrictedNote' : 'addNote';
              expect
                .soft(can[flag] === true, `${where}: viewerCan.${flag}`)
                .toBe(succeeded(noted, 'addCaseNote', 'event'));
            }
          }
          await restoreCase(db, records, 'OPEN');
        }
        if (principal.kind === 'staff') {
          const viewer = await send('{ viewer { viewerCan { reassignCases } } }', {});
          const flags = (viewer.body.data as { viewer: { viewerCan: { reassignCases: boolean } } }).viewer.viewerCan;
          expect.soft(flags.reassignCases, `${principal.name}: Viewer.viewerCan.reassignCases`).toBe(mayReassignAny);
        }
      });

      it(`as ${principal.name}: an alert's flags`, async () => {
        const send = sender(api, fixture, principal);
        for (const target of TARGETS) {
          const records = fixture.targets[target];
          for (const status of ALERT_STATUSES) {
            const where = `${principal.name}, the ${target} target's ${status} alert`;
            await restoreAlert(db, records, status);
            const shown = nodeOf(await send(ALERT_QUERY, { id: records.alert }));
            const can = (shown?.viewerCan ?? {}) as Record<string, boolean>;

            await restoreAlert(db, records, status);
            const acknowledged = await send(ACKNOWLEDGE, { input: { alertId: records.alert } });
            expect
              .soft(can.acknowledge === true, `${where}: viewerCan.acknowledge`)
              .toBe(succeeded(acknowledged, 'acknowledgeAlert', 'alert'));

            await restoreAlert(db, records, status);
            const dismissed = await send(DISMISS, { input: { alertId: records.alert, reason: 'viewer-can.test' } });
            expect
              .soft(can.dismiss === true, `${where}: viewerCan.dismiss`)
              .toBe(succeeded(dismissed, 'dismissAlert', 'alert'));

            await restoreAlert(db, records, status);
            const escalated = await send(ESCALATE, { input: { alertIds: [records.alert] } });
            await removeCase(db, caseId(escalated, 'escalateAlert'));
            expect
              .soft(can.escalate === true, `${where}: viewerCan.escalate`)
              .toBe(succeeded(escalated, 'escalateAlert', 'case'));
          }
          await restoreAlert(db, records, 'NEW');
        }
      });

      it(`as ${principal.name}: a student's flags and panels`, async () => {
        const send = sender(api, fixture, principal);
        const readsAudit = principal.kind === 'staff';
        for (const target of TARGETS) {
          const records = fixture.targets[target];
          const where = `${principal.name}, the ${target} target's student`;
          const shown = nodeOf(
            await send(readsAudit ? STUDENT_QUERY : STUDENT_QUERY_NO_AUDIT, { id: records.student }),
          );
          const can = (shown?.viewerCan ?? {}) as Record<string, boolean>;
          if (readsAudit && shown) {
            expect.soft(can.readViewedBy, `${where}: viewerCan.readViewedBy`).toBe(shown.viewedBy !== null);
            expect.soft(can.readDisclosures, `${where}: viewerCan.readDisclosures`).toBe(shown.disclosures !== null);
          } else {
            expect.soft(can.readViewedBy ?? false, `${where}: viewerCan.readViewedBy`).toBe(false);
            expect.soft(can.readDisclosures ?? false, `${where}: viewerCan.readDisclosures`).toBe(false);
          }

          // A district admin belongs to no school, and a case's owner to the student's: they name one.
          const owner =
            principal.kind === 'staff' && principal.role === 'DISTRICT_ADMIN'
              ? { assignedToId: otherStaff.get(target) }
              : {};
          const opened = await send(OPEN_CASE, {
            input: { studentId: records.student, title: 'Opened by viewer-can.test', category: 'WELLBEING', ...owner },
          });
          await removeCase(db, caseId(opened, 'openCase'));
          expect
            .soft(can.openCase === true, `${where}: viewerCan.openCase`)
            .toBe(succeeded(opened, 'openCase', 'case'));

          const raised = await send(RAISE_CONCERN, {
            input: { studentId: records.student, reason: 'viewer-can.test' },
          });
          const raisedId = (raised.body.data as { raiseConcern?: { alert?: { id: string } | null } } | null)
            ?.raiseConcern?.alert?.id;
          if (raisedId) await db.deleteFrom('alerts').where('id', '=', fromGlobalId(raisedId)!.key.id).execute();
          expect
            .soft(can.raiseConcern === true, `${where}: viewerCan.raiseConcern`)
            .toBe(succeeded(raised, 'raiseConcern', 'alert'));
        }
      });

      it(`as ${principal.name}: API tokens and the admin pages`, async () => {
        const send = sender(api, fixture, principal);
        for (const target of TARGETS) {
          const records = fixture.targets[target];
          const where = `${principal.name}, the ${target} target's school's API token`;
          const shown = nodeOf(
            await send('query ($id: ID!) { node(id: $id) { ... on ApiToken { id viewerCan { revoke } } } }', {
              id: records.apiToken,
            }),
          );
          const revoked = await send(REVOKE_TOKEN, { input: { id: records.apiToken } });
          await db.updateTable('api_tokens').set({ revoked_at: null }).where('id', '=', records.apiTokenId).execute();
          expect
            .soft((shown?.viewerCan as { revoke?: boolean } | undefined)?.revoke === true, where)
            .toBe(succeeded(revoked, 'revokeApiToken', 'apiToken'));
        }
        const viewer = await send('{ viewer { viewerCan { administer manageApiTokens readAuditLog } } }', {});
        const flags = (viewer.body.data as { viewer: { viewerCan: Record<string, boolean> } | null } | null)?.viewer
          ?.viewerCan;
        const created = await send(CREATE_TOKEN, { input: { name: 'viewer-can.test', scopes: ['STUDENTS_READ'] } });
        const createdId = (created.body.data as { createApiToken?: { apiToken?: { id: string } | null } } | null)
          ?.createApiToken?.apiToken?.id;
        if (createdId) await db.deleteFrom('api_tokens').where('id', '=', fromGlobalId(createdId)!.key.id).execute();
        const manages = succeeded(created, 'createApiToken', 'apiToken');
        expect
          .soft(flags?.manageApiTokens ?? false, `${principal.name}: Viewer.viewerCan.manageApiTokens`)
          .toBe(manages);
        const audit = await send('{ auditLog(first: 1) { nodes { id } } }', {});
        const readsAudit = principal.kind === 'staff' && !audit.body.errors;
        if (principal.kind === 'staff') {
          // The audit log answers everyone on the staff; only its readers find entries in it.
          const entries = (audit.body.data as { auditLog: { nodes: unknown[] } }).auditLog.nodes.length;
          expect
            .soft(flags?.readAuditLog, `${principal.name}: Viewer.viewerCan.readAuditLog`)
            .toBe(readsAudit && entries > 0);
        }
        expect
          .soft(flags?.administer ?? false, `${principal.name}: Viewer.viewerCan.administer`)
          .toBe(manages || (flags?.readAuditLog ?? false));
      });
    }
  });
}
