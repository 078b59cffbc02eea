/** Cases and triage through the API, on every engine: lifecycles, stale versions, idempotency, permissions. */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId, toGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';

const CASE_FIELDS =
  'id status version outcome assignedTo { email } timeline(first: 50) { nodes { kind body fromStatus toStatus } }';
type CasePayload = {
  case: {
    id: string;
    status: string;
    version: number;
    outcome: string | null;
    timeline: { nodes: { kind: string }[] };
  } | null;
  userErrors: { code: string; message: string; field: string[] | null }[];
};

for (const engine of testEngines()) {
  describe(`cases and triage on ${engine.name}`, () => {
    let api: ApiHarness;
    let formMaster: string;
    let lead: string;
    let ownStudent: string;
    let newAlerts: string[];

    beforeAll(async () => {
      api = await startApiHarness(engine);
      formMaster = await api.signIn('form.master@s01.pastoral.example');
      lead = await api.signIn('pastoral.lead@s01.pastoral.example');
      const inbox = await api.graphql<{ alerts: { nodes: { id: string; student: { id: string } }[] } }>(
        '{ alerts(first: 100, filter: { status: [NEW], assignedToMe: true }) { nodes { id student { id } } } }',
        {},
        formMaster,
      );
      const nodes = inbox.body.data!.alerts.nodes;
      ownStudent = nodes[0]!.student.id;
      newAlerts = nodes.map((node) => node.id);
    });
    afterAll(() => api.close());

    const openCase = (cookie: string, input: Record<string, unknown>) =>
      api.graphql<{ openCase: CasePayload }>(
        `mutation ($input: OpenCaseInput!) { openCase(input: $input) { case { ${CASE_FIELDS} } userErrors { code message field } } }`,
        { input },
        cookie,
      );
    const move = (cookie: string, id: string, expectedVersion: number, status: string, outcome?: string) =>
      api.graphql<{ changeCaseStatus: CasePayload }>(
        `mutation ($input: ChangeCaseStatusInput!) { changeCaseStatus(input: $input) { case { ${CASE_FIELDS} } userErrors { code message field } } }`,
        { input: { id, expectedVersion, status, ...(outcome ? { outcome } : {}) } },
        cookie,
      );

    it('runs a case through its whole lifecycle, refusing skipped steps and stale versions', async () => {
      const opened = (
        await openCase(formMaster, { studentId: ownStudent, title: 'Attendance plan', category: 'ATTENDANCE' })
      ).body.data!.openCase;
      expect(opened.userErrors).toEqual([]);
      expect(opened.case).toMatchObject({
        status: 'OPEN',
        version: 1,
        assignedTo: { email: 'form.master@s01.pastoral.example' },
      });
      const id = opened.case!.id;

      const skipped = (await move(formMaster, id, 1, 'CLOSED', 'IMPROVED')).body.data!.changeCaseStatus;
      expect(skipped.userErrors).toEqual([
        {
          code: 'INVALID_TRANSITION',
          message: 'A OPEN case cannot move to CLOSED; it can move to IN_PROGRESS.',
          field: ['input', 'status'],
        },
      ]);
      expect((await move(formMaster, id, 1, 'IN_PROGRESS')).body.data!.changeCaseStatus.case).toMatchObject({
        version: 2,
      });
      const stale = (await move(formMaster, id, 1, 'MONITORING')).body.data!.changeCaseStatus;
      expect(stale).toMatchObject({
        case: null,
        userErrors: [{ code: 'STALE_VERSION', field: ['input', 'expectedVersion'] }],
      });
      expect((await move(formMaster, id, 2, 'MONITORING')).body.data!.changeCaseStatus.case).toMatchObject({
        version: 3,
      });
      const noOutcome = (await move(formMaster, id, 3, 'CLOSED')).body.data!.changeCaseStatus;
      expect(noOutcome.userErrors[0]).toMatchObject({ code: 'INVALID', field: ['input', 'outcome'] });
      const closed = (await move(formMaster, id, 3, 'CLOSED', 'IMPROVED')).body.data!.changeCaseStatus.case!;
      expect(closed).toMatchObject({ status: 'CLOSED', outcome: 'IMPROVED', version: 4 });
      const reopened = (await move(formMaster, id, 4, 'OPEN')).body.data!.changeCaseStatus.case!;
      expect(reopened).toMatchObject({ status: 'OPEN', outcome: null, version: 5 });
      expect(reopened.timeline.nodes.map((node) => node.kind)).toEqual([
        'OPENED',
        'STATUS_CHANGED',
        'STATUS_CHANGED',
        'STATUS_CHANGED',
        'STATUS_CHANGED',
      ]);
    });

    it('lets a pastoral lead reassign within the school, and no one else, and never outside it', async () => {
      const opened = (await openCase(lead, { studentId: ownStudent, title: 'Check-ins', category: 'WELLBEING' })).body
        .data!.openCase;
      const { db } = api.database.handle;
      const staff = async (email: string) =>
        toGlobalId(
          'User',
          (await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id,
        );
      const update = (cookie: string, input: Record<string, unknown>) =>
        api.graphql<{ updateCase: CasePayload }>(
          `mutation ($input: UpdateCaseInput!) { updateCase(input: $input) { case { ${CASE_FIELDS} } userErrors { code message field } } }`,
          { input: { id: opened.case!.id, ...input } },
          cookie,
        );
      const toFormMaster = await update(lead, {
        expectedVersion: 1,
        assignedToId: await staff('form.master@s01.pastoral.example'),
      });
      expect(toFormMaster.body.data!.updateCase.case).toMatchObject({
        version: 2,
        assignedTo: { email: 'form.master@s01.pastoral.example' },
      });
      const byFormMaster = await update(formMaster, {
        expectedVersion: 2,
        assignedToId: await staff('school.admin@s01.pastoral.example'),
      });
      expect(byFormMaster.body.data!.updateCase.userErrors[0]).toMatchObject({
        code: 'INVALID',
        field: ['input', 'assignedToId'],
      });
      const otherSchool = await update(lead, {
        expectedVersion: 2,
        assignedToId: await staff('form.master@s02.pastoral.example'),
      });
      expect(otherSchool.body.data!.updateCase.userErrors[0]?.message).toBe(
        "A case's owner must be an active member of staff of the student's school.",
      );
      const kinds = (
        await update(lead, { expectedVersion: 2, title: 'Weekly check-ins' })
      ).body.data!.updateCase.case!.timeline.nodes.map((n) => n.kind);
      expect(kinds).toEqual(['OPENED', 'REASSIGNED', 'UPDATED']);
    });

    it('never lets a form master take or change a case they can see but do not own, open or closed', async () => {
      const { db } = api.database.handle;
      const formMasterId = toGlobalId(
        'User',
        (
          await db
            .selectFrom('users')
            .select('id')
            .where('email', '=', 'form.master@s01.pastoral.example')
            .executeTakeFirstOrThrow()
        ).id,
      );
      const update = (cookie: string, id: string, input: Record<string, unknown>) =>
        api.graphql<{ updateCase: CasePayload }>(
          `mutation ($input: UpdateCaseInput!) { updateCase(input: $input) { case { ${CASE_FIELDS} } userErrors { code message field } } }`,
          { input: { id, ...input } },
          cookie,
        );
      // The lead's own case about the form master's student: the form master sees it, in progress and closed.
      const leads = (await openCase(lead, { studentId: ownStudent, title: 'Safeguarding', category: 'WELLBEING' })).body
        .data!.openCase.case!.id;
      expect((await move(lead, leads, 1, 'IN_PROGRESS')).body.data!.changeCaseStatus.case).toMatchObject({
        version: 2,
      });
      const seen = await api.graphql<{ node: { id: string } | null }>(
        'query ($id: ID!) { node(id: $id) { id } }',
        { id: leads },
        formMaster,
      );
      expect(seen.body.data!.node).toEqual({ id: leads });

      const refusal = {
        code: 'NOT_ALLOWED',
        message:
          "Only the case's owner, a pastoral lead or an admin can change this case; ask its owner or a pastoral lead.",
        field: ['input', 'id'],
      };
      const taken = await update(formMaster, leads, { expectedVersion: 2, assignedToId: formMasterId });
      expect(taken.body.data!.updateCase).toEqual({ case: null, userErrors: [refusal] });
      const retitled = await update(formMaster, leads, { expectedVersion: 2, title: 'Mine now' });
      expect(retitled.body.data!.updateCase).toEqual({ case: null, userErrors: [refusal] });
      expect((await move(formMaster, leads, 2, 'MONITORING')).body.data!.changeCaseStatus).toEqual({
        case: null,
        userErrors: [refusal],
      });

      expect((await move(lead, leads, 2, 'MONITORING')).body.data!.changeCaseStatus.case).toMatchObject({ version: 3 });
      expect((await move(lead, leads, 3, 'CLOSED', 'IMPROVED')).body.data!.changeCaseStatus.case).toMatchObject({
        version: 4,
      });
      const reopened = await move(formMaster, leads, 4, 'OPEN');
      expect(reopened.body.data!.changeCaseStatus).toEqual({ case: null, userErrors: [refusal] });
      const takenClosed = await update(formMaster, leads, { expectedVersion: 4, assignedToId: formMasterId });
      expect(takenClosed.body.data!.updateCase).toEqual({ case: null, userErrors: [refusal] });

      // The case is still the lead's, at the version the lead left it, with nothing on its timeline from the
      // form master.
      const after = await api.graphql<{ node: { version: number; assignedTo: { email: string } } }>(
        'query ($id: ID!) { node(id: $id) { ... on InterventionCase { version assignedTo { email } } } }',
        { id: leads },
        lead,
      );
      expect(after.body.data!.node).toEqual({
        version: 4,
        assignedTo: { email: 'pastoral.lead@s01.pastoral.example' },
      });
      // A note is not a change of the case: the form master may still add one.
      const note = await api.graphql<{ addCaseNote: { userErrors: unknown[] } }>(
        'mutation ($input: AddCaseNoteInput!) { addCaseNote(input: $input) { userErrors { code } } }',
        { input: { caseId: leads, body: 'Spoke to the family.' } },
        formMaster,
      );
      expect(note.body.data!.addCaseNote.userErrors).toEqual([]);
    });

    it('returns the first result to a retry with the same idempotency key, sequential or concurrent', async () => {
      const input = {
        studentId: ownStudent,
        title: 'Idempotent',
        category: 'ACADEMIC',
        idempotencyKey: `key-${engine.name}-1`,
      };
      const first = (await openCase(formMaster, input)).body.data!.openCase.case!.id;
      const retry = (await openCase(formMaster, input)).body.data!.openCase.case!.id;
      expect(retry).toBe(first);
      const changed = (await openCase(formMaster, { ...input, title: 'Something else' })).body.data!.openCase;
      expect(changed.userErrors[0]).toMatchObject({ code: 'DUPLICATE', field: ['input', 'idempotencyKey'] });

      const concurrent = { ...input, idempotencyKey: `key-${engine.name}-2` };
      const results = await Promise.all(Array.from({ length: 5 }, () => openCase(formMaster, concurrent)));
      const ids = new Set(results.map((r) => r.body.data!.openCase.case?.id));
      expect(ids.size).toBe(1);
      const { db } = api.database.handle;
      const made = await db.selectFrom('intervention_cases').select('id').where('title', '=', 'Idempotent').execute();
      expect(made).toHaveLength(2);
    });

    it('acknowledges alerts all or none, naming each one it cannot by index', async () => {
      const otherSchoolAlert = await api.database.handle.db
        .selectFrom('alerts')
        .select('id')
        .where('school_id', '=', 2)
        .where('status', '=', 'NEW')
        .executeTakeFirstOrThrow();
      const refused = await api.graphql<{
        acknowledgeAlerts: { alerts: unknown[]; userErrors: { field: string[]; code: string }[] };
      }>(
        'mutation ($ids: [ID!]!) { acknowledgeAlerts(input: { alertIds: $ids }) { alerts { id } userErrors { field code } } }',
        { ids: [newAlerts[0], toGlobalId('Alert', { schoolId: 2, id: otherSchoolAlert.id })] },
        formMaster,
      );
      expect(refused.body.data!.acknowledgeAlerts).toEqual({
        alerts: [],
        userErrors: [{ field: ['input', 'alertIds', '1'], code: 'NOT_FOUND' }],
      });
      const still = await api.graphql<{ node: { status: string } }>(
        'query ($id: ID!) { node(id: $id) { ... on Alert { status } } }',
        { id: newAlerts[0] },
        formMaster,
      );
      expect(still.body.data!.node.status).toBe('NEW');

      const done = await api.graphql<{ acknowledgeAlerts: { alerts: { status: string }[] } }>(
        'mutation ($ids: [ID!]!) { acknowledgeAlerts(input: { alertIds: $ids }) { alerts { status } userErrors { code } } }',
        { ids: newAlerts.slice(0, 2) },
        formMaster,
      );
      expect(done.body.data!.acknowledgeAlerts.alerts).toEqual([
        { status: 'ACKNOWLEDGED' },
        { status: 'ACKNOWLEDGED' },
      ]);
      const tooMany = await api.graphql<{ acknowledgeAlerts: { userErrors: { message: string }[] } }>(
        'mutation ($ids: [ID!]!) { acknowledgeAlerts(input: { alertIds: $ids }) { userErrors { message } } }',
        { ids: Array.from({ length: 101 }, () => newAlerts[0]) },
        formMaster,
      );
      expect(tooMany.body.data!.acknowledgeAlerts.userErrors[0]?.message).toBe(
        'alertIds takes at most 100 alerts (got 101); send them in parts.',
      );
    });

    it('escalates an alert into a case, takes a note and closes it, with every step in the audit log', async () => {
      const alertId = newAlerts[2]!;
      const escalated = await api.graphql<{
        escalateAlert: { case: { id: string; version: number }; alerts: { status: string }[] };
      }>(
        'mutation ($id: ID!) { escalateAlert(input: { alertIds: [$id] }) { case { id version } alerts { status } userErrors { message } } }',
        { id: alertId },
        formMaster,
      );
      const caseId = escalated.body.data!.escalateAlert.case.id;
      expect(escalated.body.data!.escalateAlert.alerts).toEqual([{ status: 'ESCALATED' }]);
      const opened = await api.graphql<{
        node: {
          alerts: { id: string }[];
          didItWork: { atOpening: { level: string | null }; now: { level: string | null } };
        };
      }>(
        'query ($id: ID!) { node(id: $id) { ... on InterventionCase { alerts { id } didItWork { atOpening { level } now { level } } } } }',
        { id: caseId },
        formMaster,
      );
      expect(opened.body.data!.node.alerts).toEqual([{ id: alertId }]);
      // Nothing has changed since it opened: the snapshot and the profile agree.
      expect(opened.body.data!.node.didItWork.atOpening.level).toBe(opened.body.data!.node.didItWork.now.level);
      expect(opened.body.data!.node.didItWork.now.level).not.toBeNull();
      const note = await api.graphql<{ addCaseNote: { event: { kind: string; body: string } } }>(
        'mutation ($id: ID!) { addCaseNote(input: { caseId: $id, body: "Spoke with parent." }) { event { kind body } userErrors { message } } }',
        { id: caseId },
        formMaster,
      );
      expect(note.body.data!.addCaseNote.event).toEqual({ kind: 'NOTE', body: 'Spoke with parent.' });
      for (const [version, status] of [
        [1, 'IN_PROGRESS'],
        [2, 'MONITORING'],
      ] as const)
        await move(formMaster, caseId, version, status);
      expect((await move(formMaster, caseId, 3, 'CLOSED', 'IMPROVED')).body.data!.changeCaseStatus.case).toMatchObject({
        status: 'CLOSED',
      });

      const numericCase = fromGlobalId(caseId)!.key.id;
      const trail = await api.database.handle.db
        .selectFrom('audit_log')
        .select(['action', 'actor_type', 'request_id'])
        .where((eb) =>
          eb.or([
            eb.and([eb('entity_type', '=', 'case'), eb('entity_id', '=', numericCase)]),
            eb.and([eb('action', '=', 'alert.escalated'), eb('details', 'like', `%"caseId":${numericCase}%`)]),
          ]),
        )
        .orderBy('seq')
        .execute();
      expect(trail.map((entry) => entry.action)).toEqual([
        'case.opened',
        'alert.escalated',
        'case.note_added',
        'case.status_changed',
        'case.status_changed',
        'case.status_changed',
      ]);
      expect(trail.every((entry) => entry.actor_type === 'USER' && entry.request_id)).toBe(true);
    });

    it("lets a district admin escalate: the case goes to the alert's assignee, or to whom they name", async () => {
      const districtAdmin = await api.signIn('district.admin@pastoral.example');
      const escalate = (alertIds: string[], assignedToId?: string) =>
        api.graphql<{
          escalateAlert: { case: { assignedTo: { email: string } } | null; userErrors: { message: string }[] };
        }>(
          `mutation ($input: EscalateAlertInput!) {
            escalateAlert(input: $input) { case { assignedTo { email } } userErrors { message } } }`,
          { input: { alertIds, ...(assignedToId ? { assignedToId } : {}) } },
          districtAdmin,
        );
      // The form master's own alerts are assigned to them.
      const byDefault = await escalate([newAlerts.at(-1)!]);
      expect(byDefault.body.data!.escalateAlert).toEqual({
        case: { assignedTo: { email: 'form.master@s01.pastoral.example' } },
        userErrors: [],
      });
      const viewer = await api.graphql<{ viewer: { user: { id: string } } }>('{ viewer { user { id } } }', {}, lead);
      const named = await escalate([newAlerts.at(-2)!], viewer.body.data!.viewer.user.id);
      expect(named.body.data!.escalateAlert).toEqual({
        case: { assignedTo: { email: 'pastoral.lead@s01.pastoral.example' } },
        userErrors: [],
      });
    });

    it('dismisses with a reason only, and raises concerns by hand', async () => {
      const alertId = newAlerts[3]!;
      const blank = await api.graphql<{ dismissAlert: { userErrors: { field: string[] }[] } }>(
        'mutation ($id: ID!) { dismissAlert(input: { alertId: $id, reason: "  " }) { userErrors { field } } }',
        { id: alertId },
        formMaster,
      );
      expect(blank.body.data!.dismissAlert.userErrors).toEqual([{ field: ['input', 'reason'] }]);
      const dismissed = await api.graphql<{ dismissAlert: { alert: { status: string; dismissedReason: string } } }>(
        'mutation ($id: ID!) { dismissAlert(input: { alertId: $id, reason: "Known medical absence" }) { alert { status dismissedReason } } }',
        { id: alertId },
        formMaster,
      );
      expect(dismissed.body.data!.dismissAlert.alert).toEqual({
        status: 'DISMISSED',
        dismissedReason: 'Known medical absence',
      });
      const again = await api.graphql<{ dismissAlert: { userErrors: { code: string }[] } }>(
        'mutation ($id: ID!) { dismissAlert(input: { alertId: $id, reason: "Again" }) { userErrors { code } } }',
        { id: alertId },
        formMaster,
      );
      expect(again.body.data!.dismissAlert.userErrors).toEqual([{ code: 'INVALID_TRANSITION' }]);

      const concern = await api.graphql<{
        raiseConcern: { alert: { type: string; status: string; raisedBy: { email: string } } };
      }>(
        'mutation ($id: ID!) { raiseConcern(input: { studentId: $id, reason: "Seemed withdrawn today" }) { alert { type status raisedBy { email } } userErrors { message } } }',
        { id: ownStudent },
        lead,
      );
      expect(concern.body.data!.raiseConcern.alert).toEqual({
        type: 'WELLBEING',
        status: 'NEW',
        raisedBy: { email: 'pastoral.lead@s01.pastoral.example' },
      });
    });
  });
}
