import type { Alert } from '@pastoral/db';
import { mutationContext, requireReader } from '../../context.ts';
import { failure, payload } from '../../graphql/mutations.ts';
import { acknowledgeAlerts, dismissAlert, escalateAlerts, raiseConcern } from './alert.mutations.ts';
import { priorityCode, severityCode, severityName } from '../../graphql/enums.ts';
import { idOfType, schoolKeyOfType, toGlobalId } from '../../graphql/relay.ts';
import { schoolKeyOf } from '../../school-scope.ts';
import type { AlertSeverity, AlertStatus, AlertType, Resolvers } from '../../graphql/resolvers-types.generated.ts';
import { alertActions, NO_ALERT_ACTIONS } from './alert.policy.ts';
import { listAlerts } from './alert.repository.ts';

export const alertResolvers: Resolvers = {
  Mutation: {
    raiseConcern: async (_parent, { input }, context) => {
      const outcome = await raiseConcern(mutationContext(context), {
        student: schoolKeyOfType(input.studentId, 'Student', 'input.studentId'),
        reason: input.reason,
        severity: input.severity == null ? null : severityCode(input.severity),
        idempotencyKey: input.idempotencyKey ?? context.request.idempotencyKey,
      });
      return payload(outcome, (alert) => ({ alert }), { alert: null });
    },
    acknowledgeAlert: async (_parent, { input }, context) => {
      const outcome = await acknowledgeAlerts(
        mutationContext(context),
        [schoolKeyOfType(input.alertId, 'Alert', 'input.alertId')],
        'alertId',
      );
      // One alert asked for: its errors name the one field, not an index of a list.
      const named = outcome.ok
        ? outcome
        : failure<Alert[]>(...outcome.userErrors.map((e) => ({ ...e, field: ['input', 'alertId'] })));
      return payload(named, (alerts) => ({ alert: alerts[0]! }), { alert: null });
    },
    acknowledgeAlerts: async (_parent, { input }, context) => {
      const outcome = await acknowledgeAlerts(
        mutationContext(context),
        input.alertIds.map((id, index) => schoolKeyOfType(id, 'Alert', `input.alertIds.${index}`)),
      );
      return payload(outcome, (alerts) => ({ alerts }), { alerts: [] });
    },
    dismissAlert: async (_parent, { input }, context) => {
      const outcome = await dismissAlert(
        mutationContext(context),
        schoolKeyOfType(input.alertId, 'Alert', 'input.alertId'),
        input.reason,
      );
      return payload(outcome, (alert) => ({ alert }), { alert: null });
    },
    escalateAlert: async (_parent, { input }, context) => {
      const outcome = await escalateAlerts(mutationContext(context), {
        alertIds: input.alertIds.map((id, index) => schoolKeyOfType(id, 'Alert', `input.alertIds.${index}`)),
        title: input.title,
        priority: input.priority == null ? null : priorityCode(input.priority),
        assignedToId: input.assignedToId == null ? null : idOfType(input.assignedToId, 'User', 'input.assignedToId'),
        idempotencyKey: input.idempotencyKey ?? context.request.idempotencyKey,
      });
      return payload(outcome, (escalated) => escalated, { case: null, alerts: [] });
    },
  },
  Query: {
    alerts: (_parent, { filter, orderBy, ...page }, context) => {
      const viewer = requireReader(context, 'alert');
      // Without a filter: the viewer's own alerts still waiting for them.
      const values = filter
        ? {
            status: filter.status ?? undefined,
            type: filter.type ?? undefined,
            severity: filter.severity?.map(severityCode),
            student:
              filter.studentId == null ? undefined : schoolKeyOfType(filter.studentId, 'Student', 'filter.studentId'),
            assignedToMe: filter.assignedToMe ?? undefined,
          }
        : { assignedToMe: true, status: ['NEW', 'ACKNOWLEDGED'] };
      return listAlerts(context.db, viewer, values, orderBy ?? { field: 'ALERT_DATE', direction: 'DESC' }, page);
    },
  },
  Alert: {
    id: (alert) => toGlobalId('Alert', schoolKeyOf(alert)),
    type: (alert) => alert.type as AlertType,
    severity: (alert) => severityName(alert.severity) as AlertSeverity,
    status: (alert) => alert.status as AlertStatus,
    alertDate: (alert) => alert.alert_date,
    student: async (alert, _args, context) =>
      (await context.loaders.studentById.load({ schoolId: alert.school_id, id: alert.student_id }))!,
    assignedTo: (alert, _args, context) =>
      alert.assigned_to === null ? null : context.loaders.userById.load(alert.assigned_to),
    raisedBy: (alert, _args, context) =>
      alert.raised_by === null ? null : context.loaders.userById.load(alert.raised_by),
    acknowledgedAt: (alert) => alert.acknowledged_at,
    dismissedReason: (alert) => alert.dismissed_reason,
    createdAt: (alert) => alert.created_at,
    viewerCan: (alert, _args, context) => (context.viewer ? alertActions(context.viewer, alert) : NO_ALERT_ACTIONS),
  },
};
