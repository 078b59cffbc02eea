/** The authorization matrix's entries for the root Mutation fields (authorization-matrix.test.ts). */
import { fromGlobalId } from '../../graphql/relay.ts';
import {
  alertRow,
  caseChange,
  casesOfStudent,
  countOf,
  everyMemberOfStaff,
  freshTargetSession,
  INGEST_DAY,
  INGEST_MARKER,
  leadsCase,
  type MatrixEntry,
  payload,
  restore,
  sessionCount,
  staffOnly,
  targetSessions,
  tokensOnly,
  triage,
} from './authorization-matrix.cells.ts';

export const MUTATION_ENTRIES: Record<string, MatrixEntry> = {
  'Mutation.signIn': {
    // Open to anyone, whatever they hold; a wrong password lets nobody in: the answer is the same refusal for
    // every caller and every account, with no cookie, and only the failure itself is recorded.
    expect: () => 'hidden',
    document: `mutation ($input: SignInInput!) { signIn(input: $input) { viewer { user { id } } userErrors { code } } }`,
    variables: (target) => ({ input: { email: target.formMasterEmail, password: 'not-the-password' } }),
    shows: (response) =>
      payload<{ viewer: unknown }>(response, 'signIn').viewer != null || response.headers['set-cookie'] !== undefined,
    mutation: {
      state: async (db, target) =>
        countOf(
          db
            .selectFrom('sessions')
            .innerJoin('users', 'users.id', 'sessions.user_id')
            .select((eb) => eb.fn.countAll().as('count'))
            .where('users.email', '=', target.formMasterEmail)
            .executeTakeFirstOrThrow(),
        ),
      // Sixty-odd failures would throttle the account and the address; each cell starts unthrottled.
      reset: async (db) => {
        await db.deleteFrom('rate_limits').where('rate_key', 'like', 'signin:%').execute();
      },
      refusalCodes: ['INVALID'],
      auditsRefusals: true,
    },
  },
  'Mutation.signOut': {
    expect: everyMemberOfStaff,
    document: 'mutation { signOut { signedOut userErrors { code } } }',
    variables: () => ({}),
    shows: (response) => payload<{ signedOut?: boolean }>(response, 'signOut').signedOut === true,
    mutation: { state: sessionCount, endsSession: true },
  },

  'Mutation.signOutSession': {
    // A session is its user's alone: the form master ends their own (the own and leads targets' classroom is
    // theirs), and anyone
    // else naming it is answered as for a session that does not exist, with nothing ended.
    expect: (principal, target) =>
      principal.kind === 'anonymous'
        ? 'unauthenticated'
        : principal.kind === 'token'
          ? 'forbidden'
          : principal.role === 'FORM_MASTER' && (target === 'own' || target === 'leads')
            ? 'shown'
            : 'hidden',
    document: `mutation ($input: SignOutSessionInput!) {
      signOutSession(input: $input) { endedSessionId signedOutHere userErrors { code } }
    }`,
    variables: (target) => ({ input: { id: targetSessions.get(target.formMasterEmail) } }),
    shows: (response) => payload<{ endedSessionId?: string | null }>(response, 'signOutSession').endedSessionId != null,
    mutation: {
      state: (db, target) =>
        countOf(
          db
            .selectFrom('sessions')
            .select((eb) => eb.fn.countAll().as('count'))
            .where('id', '=', fromGlobalId(targetSessions.get(target.formMasterEmail)!)!.key.id)
            .executeTakeFirstOrThrow(),
        ),
      reset: freshTargetSession,
    },
  },
  'Mutation.signOutEverywhere': {
    // Every member of staff ends their own other sessions; the target plays no part.
    expect: everyMemberOfStaff,
    document: 'mutation { signOutEverywhere { endedSessions userErrors { code } } }',
    variables: () => ({}),
    shows: (response) => (payload<{ endedSessions?: number }>(response, 'signOutEverywhere').endedSessions ?? 0) > 0,
    mutation: {
      state: sessionCount,
      // Made with a session of its own, the caller's usual one being among those it ends.
      endsSession: true,
      endsOtherSessions: true,
    },
  },

  'Mutation.raiseConcern': {
    expect: staffOnly('student'),
    document: `mutation ($input: RaiseConcernInput!) {
      raiseConcern(input: $input) { alert { id student { id } } userErrors { code } }
    }`,
    variables: (target) => ({ input: { studentId: target.student, reason: 'Raised by the authorization matrix.' } }),
    shows: (response, target) =>
      payload<{ alert?: { student: { id: string } } | null }>(response, 'raiseConcern').alert?.student.id ===
      target.student,
    mutation: {
      state: (db, target) =>
        countOf(
          db
            .selectFrom('alerts')
            .select((eb) => eb.fn.countAll().as('count'))
            .where('student_id', '=', target.studentId)
            .executeTakeFirstOrThrow(),
        ),
    },
  },
  'Mutation.acknowledgeAlert': {
    expect: staffOnly('alert'),
    document: `mutation ($input: AcknowledgeAlertInput!) {
      acknowledgeAlert(input: $input) { alert { id status } userErrors { code } }
    }`,
    variables: (target) => ({ input: { alertId: target.alert } }),
    shows: (response, target) =>
      payload<{ alert?: { id: string } | null }>(response, 'acknowledgeAlert').alert?.id === target.alert,
    mutation: triage,
  },
  'Mutation.acknowledgeAlerts': {
    expect: staffOnly('alert'),
    document: `mutation ($input: AcknowledgeAlertsInput!) {
      acknowledgeAlerts(input: $input) { alerts { id status } userErrors { code } }
    }`,
    variables: (target) => ({ input: { alertIds: [target.alert] } }),
    shows: (response, target) =>
      (payload<{ alerts?: { id: string }[] }>(response, 'acknowledgeAlerts').alerts ?? []).some(
        (alert) => alert.id === target.alert,
      ),
    mutation: triage,
  },
  'Mutation.dismissAlert': {
    expect: staffOnly('alert'),
    document: `mutation ($input: DismissAlertInput!) {
      dismissAlert(input: $input) { alert { id status } userErrors { code } }
    }`,
    variables: (target) => ({ input: { alertId: target.alert, reason: 'Dismissed by the authorization matrix.' } }),
    shows: (response, target) =>
      payload<{ alert?: { id: string } | null }>(response, 'dismissAlert').alert?.id === target.alert,
    mutation: triage,
  },
  'Mutation.escalateAlert': {
    // A district admin, who belongs to no school, escalates too: the case goes to the alert's assignee or the
    // student's form master (this matrix found that it once could not).
    expect: staffOnly('alert'),
    document: `mutation ($input: EscalateAlertInput!) {
      escalateAlert(input: $input) { case { id student { id } } alerts { id } userErrors { code } }
    }`,
    variables: (target) => ({ input: { alertIds: [target.alert] } }),
    shows: (response, target) =>
      payload<{ case?: { student: { id: string } } | null }>(response, 'escalateAlert').case?.student.id ===
      target.student,
    mutation: {
      state: async (db, target) => ({ alert: await alertRow(db, target), cases: await casesOfStudent(db, target) }),
      reset: triage.reset,
    },
  },

  'Mutation.createApiToken': {
    // The product refuses a token for a school one does not administer with an INVALID userError.
    expect: staffOnly('apiToken'),
    document: `mutation ($input: CreateApiTokenInput!) {
      createApiToken(input: $input) { apiToken { id school { id } } userErrors { code } }
    }`,
    variables: (target) => ({
      input: { name: 'Authorization matrix', scopes: ['STUDENTS_READ'], schoolId: target.school },
    }),
    shows: (response, target) =>
      payload<{ apiToken?: { school: { id: string } | null } | null }>(response, 'createApiToken').apiToken?.school
        ?.id === target.school,
    mutation: {
      state: (db) =>
        countOf(
          db
            .selectFrom('api_tokens')
            .select((eb) => eb.fn.countAll().as('count'))
            .executeTakeFirstOrThrow(),
        ),
      refusalCodes: ['INVALID'],
    },
  },
  'Mutation.revokeApiToken': {
    expect: staffOnly('apiToken'),
    document: `mutation ($input: RevokeApiTokenInput!) {
      revokeApiToken(input: $input) { apiToken { id revokedAt } userErrors { code } }
    }`,
    variables: (target) => ({ input: { id: target.apiToken } }),
    shows: (response, target) =>
      payload<{ apiToken?: { id: string } | null }>(response, 'revokeApiToken').apiToken?.id === target.apiToken,
    mutation: {
      state: (db, target) =>
        db.selectFrom('api_tokens').select('revoked_at').where('id', '=', target.apiTokenId).executeTakeFirstOrThrow(),
      reset: async (db, target) => {
        await db.updateTable('api_tokens').set({ revoked_at: null }).where('id', '=', target.apiTokenId).execute();
      },
    },
  },

  'Mutation.openCase': {
    // Given to the owner of the target's case (a district admin, of no school, cannot own a case): a form master
    // may not give one to the pastoral lead.
    expect: staffOnly('student', leadsCase),
    document: `mutation ($input: OpenCaseInput!) {
      openCase(input: $input) { case { id student { id } } userErrors { code } }
    }`,
    variables: (target) => ({
      input: {
        studentId: target.student,
        title: 'Opened by the authorization matrix',
        category: 'WELLBEING',
        assignedToId: target.owner,
      },
    }),
    shows: (response, target) =>
      payload<{ case?: { student: { id: string } } | null }>(response, 'openCase').case?.student.id === target.student,
    mutation: { state: casesOfStudent, refusedCode: 'INVALID' },
  },
  'Mutation.updateCase': {
    // A form master sees the lead's case about their own student, and may not retitle (or take) it.
    expect: staffOnly('case', leadsCase),
    document: `mutation ($input: UpdateCaseInput!) { updateCase(input: $input) { case { id version } userErrors { code } } }`,
    variables: (target) => ({
      input: { id: target.case, expectedVersion: 1, title: 'Retitled by the authorization matrix' },
    }),
    shows: (response, target) =>
      payload<{ case?: { id: string } | null }>(response, 'updateCase').case?.id === target.case,
    mutation: caseChange,
  },
  'Mutation.changeCaseStatus': {
    expect: staffOnly('case', leadsCase),
    document: `mutation ($input: ChangeCaseStatusInput!) {
      changeCaseStatus(input: $input) { case { id status } userErrors { code } }
    }`,
    variables: (target) => ({ input: { id: target.case, expectedVersion: 1, status: 'IN_PROGRESS' } }),
    shows: (response, target) =>
      payload<{ case?: { id: string } | null }>(response, 'changeCaseStatus').case?.id === target.case,
    mutation: caseChange,
  },
  'Mutation.addCaseNote': {
    // A note is everyone's who sees the case, the lead's case included.
    expect: staffOnly('case'),
    document: `mutation ($input: AddCaseNoteInput!) {
      addCaseNote(input: $input) { event { id } case { id } userErrors { code } }
    }`,
    variables: (target) => ({ input: { caseId: target.case, body: 'A note from the authorization matrix.' } }),
    shows: (response, target) =>
      payload<{ case?: { id: string } | null }>(response, 'addCaseNote').case?.id === target.case,
    mutation: {
      state: (db, target) =>
        countOf(
          db
            .selectFrom('case_events')
            .select((eb) => eb.fn.countAll().as('count'))
            .where('case_id', '=', target.caseId)
            .executeTakeFirstOrThrow(),
        ),
    },
  },

  // The integrators' writes name the school by code; a school's token must write to its own school whatever
  // code it sends, so each call names the target's school.
  'Mutation.recordAttendance': {
    expect: tokensOnly('attendance:write'),
    document: `mutation ($input: RecordAttendanceInput!) {
      recordAttendance(input: $input) { recorded userErrors { code } }
    }`,
    variables: (target) => ({
      input: {
        schoolCode: target.schoolCode,
        records: [{ studentExternalId: target.externalId, date: INGEST_DAY, status: 'LATE' }],
      },
    }),
    shows: (response) => payload<{ recorded?: number }>(response, 'recordAttendance').recorded === 1,
    mutation: {
      state: (db, target) =>
        db
          .selectFrom('attendance_records')
          .selectAll()
          .where('student_id', '=', target.studentId)
          .where('date', '=', INGEST_DAY)
          .executeTakeFirst(),
      reset: async (db, target) => {
        await db
          .deleteFrom('attendance_records')
          .where('student_id', '=', target.studentId)
          .where('date', '=', INGEST_DAY)
          .execute();
      },
    },
  },
  'Mutation.recordBehaviourIncidents': {
    expect: tokensOnly('behaviour:write'),
    document: `mutation ($input: RecordBehaviourIncidentsInput!) {
      recordBehaviourIncidents(input: $input) { recorded userErrors { code } }
    }`,
    variables: (target) => ({
      input: {
        schoolCode: target.schoolCode,
        records: [
          {
            externalId: INGEST_MARKER,
            studentExternalId: target.externalId,
            occurredOn: INGEST_DAY,
            category: 'DISRUPTION',
            severity: 'MINOR',
          },
        ],
      },
    }),
    shows: (response) => payload<{ recorded?: number }>(response, 'recordBehaviourIncidents').recorded === 1,
    mutation: {
      state: (db, target) =>
        db
          .selectFrom('behaviour_incidents')
          .selectAll()
          .where('student_id', '=', target.studentId)
          .where('external_id', '=', INGEST_MARKER)
          .executeTakeFirst(),
      reset: async (db) => {
        await db.deleteFrom('behaviour_incidents').where('external_id', '=', INGEST_MARKER).execute();
      },
    },
  },
  'Mutation.recordAssessmentResults': {
    expect: tokensOnly('assessments:write'),
    document: `mutation ($input: RecordAssessmentResultsInput!) {
      recordAssessmentResults(input: $input) { recorded userErrors { code } }
    }`,
    variables: (target) => ({
      input: {
        schoolCode: target.schoolCode,
        records: [
          { studentExternalId: target.externalId, subject: INGEST_MARKER, term: '2024-AUT', score: 50, passing: true },
        ],
      },
    }),
    shows: (response) => payload<{ recorded?: number }>(response, 'recordAssessmentResults').recorded === 1,
    mutation: {
      state: (db, target) =>
        db
          .selectFrom('assessment_results')
          .selectAll()
          .where('student_id', '=', target.studentId)
          .where('subject', '=', INGEST_MARKER)
          .executeTakeFirst(),
      reset: async (db, target) => {
        await db
          .deleteFrom('assessment_results')
          .where('student_id', '=', target.studentId)
          .where('subject', '=', INGEST_MARKER)
          .execute();
      },
    },
  },
  'Mutation.upsertStudents': {
    expect: tokensOnly('roster:write'),
    document: `mutation ($input: UpsertStudentsInput!) {
      upsertStudents(input: $input) { created updated userErrors { code } }
    }`,
    // The target as the school information system has them, with a date of birth they do not have yet.
    variables: (target) => ({
      input: {
        schoolCode: target.schoolCode,
        records: [
          {
            externalId: target.externalId,
            givenName: target.givenName,
            familyName: target.familyName,
            classroomName: target.classroomName,
            dateOfBirth: '2011-01-01',
          },
        ],
      },
    }),
    shows: (response) => payload<{ updated?: number }>(response, 'upsertStudents').updated === 1,
    mutation: {
      state: (db, target) =>
        db.selectFrom('students').selectAll().where('id', '=', target.studentId).executeTakeFirst(),
      reset: (db, target) => restore(db, 'students', target.rowsAsMade.student),
    },
  },
};
