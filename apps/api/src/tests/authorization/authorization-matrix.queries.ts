/** The authorization matrix's entries for the root Query fields (authorization-matrix.test.ts). */
import { scopeName } from '../../modules/api-tokens/api-token.ts';
import { sees, STAFF_EMAILS } from '../../testing/authorization-fixture.ts';
import { data, idsOf, type MatrixEntry, staffOnly, staffOrToken } from './authorization-matrix.cells.ts';

export const QUERY_ENTRIES: Record<string, MatrixEntry> = {
  'Query.node': {
    // Nobody signed in gets null, as for a missing id (no 401): `node` answers whether an object exists for
    // you, and for nobody none does. A token that asks for a student's fields needs students:read, as on every
    // path (authorization-paths.test.ts tries every type).
    expect: (principal, target) =>
      principal.kind === 'anonymous' ? 'hidden' : staffOrToken('student', 'students:read')(principal, target),
    document: 'query ($id: ID!) { node(id: $id) { id ... on Student { fullName } } }',
    variables: (target) => ({ id: target.student }),
    shows: (response, target) => (data(response).node as { id: string } | null)?.id === target.student,
  },
  'Query.nodes': {
    // A case and an alert by id: each shown to whoever sees it, tokens by their scope.
    expect: (principal, target) =>
      sees(principal, target, 'case') || sees(principal, target, 'alert') ? 'shown' : 'hidden',
    document: 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }',
    variables: (target) => ({ ids: [target.case, target.alert] }),
    shows: (response) => (data(response).nodes as unknown[] | undefined)?.some((node) => node !== null) ?? false,
  },
  'Query.viewer': {
    // Who is asking: the member of staff, or the token itself; null for nobody. The target plays no part.
    expect: (principal) => (principal.kind === 'anonymous' ? 'hidden' : 'shown'),
    document: '{ viewer { role user { email } apiToken { name scopes } } }',
    variables: () => ({}),
    shows: (response, _target, principal) => {
      const viewer = data(response).viewer as {
        user: { email: string } | null;
        apiToken: { name: string; scopes: string[] } | null;
      } | null;
      if (principal.kind === 'staff') return viewer?.user?.email === STAFF_EMAILS[principal.role];
      if (principal.kind === 'token')
        return viewer?.apiToken?.scopes.join() === scopeName(principal.scope) && viewer?.user === null;
      return viewer != null;
    },
  },
  'Query.students': {
    expect: staffOrToken('student', 'students:read'),
    document: `query ($classroom: ID!) {
      students(first: 100, filter: { classroomId: $classroom, active: null }) { nodes { id fullName } }
    }`,
    variables: (target) => ({ classroom: target.classroom }),
    shows: (response, target) => idsOf(data(response).students as { nodes: { id: string }[] }).includes(target.student),
  },
  'Query.cases': {
    expect: staffOrToken('case', 'cases:read'),
    document: 'query ($student: ID!) { cases(first: 100, filter: { studentId: $student }) { nodes { id } } }',
    variables: (target) => ({ student: target.student }),
    shows: (response, target) => idsOf(data(response).cases as { nodes: { id: string }[] }).includes(target.case),
  },
  'Query.alerts': {
    expect: staffOrToken('alert', 'alerts:read'),
    document: 'query ($student: ID!) { alerts(first: 100, filter: { studentId: $student }) { nodes { id } } }',
    variables: (target) => ({ student: target.student }),
    shows: (response, target) => idsOf(data(response).alerts as { nodes: { id: string }[] }).includes(target.alert),
  },
  'Query.classrooms': {
    // Staff see their school's classrooms (a district admin every school's); a token its school's, whatever its
    // scopes: an integrator maps its roster onto them.
    expect: staffOrToken('classroom', null),
    document: 'query ($school: ID!) { classrooms(first: 100, filter: { schoolId: $school }) { nodes { id } } }',
    variables: (target) => ({ school: target.school }),
    shows: (response, target) =>
      idsOf(data(response).classrooms as { nodes: { id: string }[] }).includes(target.classroom),
  },
  'Query.schools': {
    expect: staffOrToken('school', null),
    document: '{ schools { nodes { id } } }',
    variables: () => ({}),
    shows: (response, target) => idsOf(data(response).schools as { nodes: { id: string }[] }).includes(target.school),
  },
  'Query.auditLog': {
    expect: staffOrToken('auditEntry', 'audit:read'),
    document: `query ($school: ID!) {
      auditLog(first: 5, filter: { schoolId: $school, from: "2020-01-01T00:00:00.000Z" }) { nodes { id } }
    }`,
    variables: (target) => ({ school: target.school }),
    shows: (response) => idsOf(data(response).auditLog as { nodes: { id: string }[] }).length > 0,
  },
  'Query.apiTokens': {
    expect: staffOnly('apiToken'),
    document: '{ apiTokens(first: 100) { nodes { id } } }',
    variables: () => ({}),
    shows: (response, target) =>
      idsOf(data(response).apiTokens as { nodes: { id: string }[] }).includes(target.apiToken),
  },
  'Query.dashboard': {
    // Every target has just become "newly at risk" (see the fixture): the dashboard lists those in scope. A
    // form master's dashboard is their classes': a student seen only through a case is not on it.
    expect: (principal, target) =>
      principal.kind === 'staff' && principal.role === 'FORM_MASTER' && target === 'assigned'
        ? 'hidden'
        : staffOnly('student')(principal, target),
    document: '{ dashboard { newAlerts newlyAtRisk(first: 100) { nodes { id } } } }',
    variables: () => ({}),
    shows: (response, target) =>
      idsOf((data(response).dashboard as { newlyAtRisk: { nodes: { id: string }[] } } | null)?.newlyAtRisk).includes(
        target.student,
      ),
  },
};
