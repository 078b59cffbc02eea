import { type CASE_PRIORITIES } from '@pastoral/db';
import { auditActor, mutationContext, requireReader } from '../../context.ts';
import { payload } from '../../graphql/mutations.ts';
import { addCaseNote, changeCaseStatus, openCase, updateCase } from './case.mutations.ts';
import { priorityCode, priorityName, riskLevelName } from '../../graphql/enums.ts';
import { idOfType, schoolKeyOfType, toGlobalId } from '../../graphql/relay.ts';
import { schoolKeyOf } from '../../school-scope.ts';
import type { CaseEventKind, CaseOutcome, CaseStatus, Resolvers } from '../../graphql/resolvers-types.generated.ts';
import { recordAuditEvent } from '../audit-log/audit.writer.ts';
import { caseActions, NO_CASE_ACTIONS, statusMovesFor } from './case.policy.ts';
import { listCases, OPEN_CASE_STATUSES } from './case.repository.ts';

export const caseResolvers: Resolvers = {
  Mutation: {
    openCase: async (_parent, { input }, context) =>
      payload(
        await openCase(mutationContext(context), {
          student: schoolKeyOfType(input.studentId, 'Student', 'input.studentId'),
          title: input.title,
          category: input.category,
          tier: input.tier,
          priority: input.priority == null ? null : priorityCode(input.priority),
          goal: input.goal,
          nextReviewAt: input.nextReviewAt,
          assignedToId: input.assignedToId == null ? null : idOfType(input.assignedToId, 'User', 'input.assignedToId'),
          idempotencyKey: input.idempotencyKey ?? context.request.idempotencyKey,
        }),
        (value) => ({ case: value }),
        { case: null },
      ),
    updateCase: async (_parent, { input }, context) =>
      payload(
        await updateCase(mutationContext(context), {
          key: schoolKeyOfType(input.id, 'InterventionCase', 'input.id'),
          expectedVersion: input.expectedVersion,
          title: input.title,
          category: input.category,
          tier: input.tier,
          priority: input.priority == null ? null : priorityCode(input.priority),
          goal: input.goal,
          nextReviewAt: input.nextReviewAt,
          assignedToId: input.assignedToId == null ? null : idOfType(input.assignedToId, 'User', 'input.assignedToId'),
        }),
        (value) => ({ case: value }),
        { case: null },
      ),
    changeCaseStatus: async (_parent, { input }, context) =>
      payload(
        await changeCaseStatus(mutationContext(context), {
          key: schoolKeyOfType(input.id, 'InterventionCase', 'input.id'),
          expectedVersion: input.expectedVersion,
          status: input.status,
          outcome: input.outcome ?? null,
        }),
        (value) => ({ case: value }),
        { case: null },
      ),
    addCaseNote: async (_parent, { input }, context) =>
      payload(
        await addCaseNote(mutationContext(context), {
          caseKey: schoolKeyOfType(input.caseId, 'InterventionCase', 'input.caseId'),
          body: input.body,
          restricted: input.restricted ?? false,
        }),
        (value) => value,
        { event: null, case: null },
      ),
  },
  Query: {
    cases: (_parent, { filter, orderBy, ...page }, context) => {
      const viewer = requireReader(context, 'case');
      // Without a filter: the viewer's own open cases.
      const values = filter
        ? {
            status: filter.status ?? undefined,
            priority: filter.priority?.map(priorityCode),
            assignedToId:
              filter.assignedToId == null ? undefined : idOfType(filter.assignedToId, 'User', 'filter.assignedToId'),
            assignedToMe: filter.assignedToMe ?? undefined,
            student:
              filter.studentId == null ? undefined : schoolKeyOfType(filter.studentId, 'Student', 'filter.studentId'),
            overdue: filter.overdue ?? undefined,
          }
        : { assignedToMe: true, status: [...OPEN_CASE_STATUSES] };
      return listCases(
        context.db,
        viewer,
        values,
        orderBy ?? { field: 'CREATED_AT', direction: 'DESC' },
        page,
        context.today,
      );
    },
  },
  InterventionCase: {
    id: (row) => toGlobalId('InterventionCase', schoolKeyOf(row)),
    priority: (row) => priorityName(row.priority) as (typeof CASE_PRIORITIES)[number],
    status: (row) => row.status as CaseStatus,
    outcome: (row) => row.outcome as CaseOutcome | null,
    student: async (row, _args, context) =>
      (await context.loaders.studentById.load({ schoolId: row.school_id, id: row.student_id }))!,
    assignedTo: (row, _args, context) =>
      row.assigned_to === null ? null : context.loaders.userById.load(row.assigned_to),
    openedBy: (row, _args, context) => (row.opened_by === null ? null : context.loaders.userById.load(row.opened_by)),
    createdAt: (row) => row.created_at,
    updatedAt: (row) => row.updated_at,
    closedAt: (row) => row.closed_at,
    nextReviewAt: (row) => row.next_review_at,
    isOverdue: (row, _args, context) =>
      row.status !== 'CLOSED' && row.next_review_at !== null && row.next_review_at < context.today,
    timeline: (row, args, context) => context.loaders.timelineByCaseId.load({ parent: schoolKeyOf(row), args }),
    alerts: (row, _args, context) => context.loaders.alertsByCaseId.load(schoolKeyOf(row)),
    viewerCan: (row, _args, context) => (context.viewer ? caseActions(context.viewer, row) : NO_CASE_ACTIONS),
    allowedStatusMoves: (row, _args, context) => (context.viewer ? statusMovesFor(context.viewer, row) : []),
    didItWork: async (row, _args, context) => {
      const baseline = JSON.parse(row.baseline) as {
        capturedAt?: string;
        level?: number | null;
        attendanceRate?: number | null;
        behaviourLevel?: number | null;
        courseworkLevel?: number | null;
      };
      const profile = await context.loaders.riskProfileByStudentId.load({
        schoolId: row.school_id,
        id: row.student_id,
      });
      const level = (code: number | null | undefined) => (code == null ? null : riskLevelName(code));
      return {
        atOpening: {
          capturedAt: baseline.capturedAt ?? row.created_at,
          level: level(baseline.level),
          attendanceRate: baseline.attendanceRate ?? null,
          behaviourLevel: level(baseline.behaviourLevel),
          courseworkLevel: level(baseline.courseworkLevel),
        },
        now: {
          capturedAt: profile?.computed_at ?? null,
          level: level(profile?.level),
          attendanceRate: profile?.attendance_rate ?? null,
          behaviourLevel: level(profile?.behaviour_level),
          courseworkLevel: level(profile?.coursework_level),
        },
      };
    },
  },
  CaseEvent: {
    id: (event) => toGlobalId('CaseEvent', schoolKeyOf(event)),
    kind: (event) => event.kind as CaseEventKind,
    author: (event, _args, context) =>
      event.author_id === null ? null : context.loaders.timelineUserById.load(event.author_id),
    createdAt: (event) => event.created_at,
    restricted: (event) => event.restricted === 1,
    body: async (event, _args, context) => {
      if (event.restricted !== 1) return event.body;
      // Only staff hold the safeguarding permission; a token never reads a restricted note.
      const viewer = context.viewer;
      if (!viewer?.canViewRestricted) return null;
      // Every read of a restricted note is on the record, before the text leaves the server.
      const parent = await context.loaders.visibleCase.load({ schoolId: event.school_id, id: event.case_id });
      if (!parent) return null;
      await recordAuditEvent(context.db, context.dialect, auditActor(context), {
        action: 'case_note.restricted_read',
        schoolId: event.school_id,
        caseEventId: event.id,
        caseId: event.case_id,
        studentId: parent.student_id,
      });
      return event.body;
    },
    fromStatus: (event) => event.from_status as CaseStatus | null,
    toStatus: (event) => event.to_status as CaseStatus | null,
    fromUser: (event, _args, context) =>
      event.from_user_id === null ? null : context.loaders.timelineUserById.load(event.from_user_id),
    toUser: (event, _args, context) =>
      event.to_user_id === null ? null : context.loaders.timelineUserById.load(event.to_user_id),
  },
};
