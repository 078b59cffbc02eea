/**
 * Every path into an object, for every principal: the object reached is shown exactly when its own scope says
 * so, whichever object led to it. authorization-matrix.test.ts holds each root field to its scope; this test
 * follows the fields below the roots, to depth 3, generated from the schema:
 *
 * - from `nodes` (the five targets' records of each type: Student, InterventionCase, ...), every field that
 *   returns an object, and every such field of what it returns (`nodes → InterventionCase.alerts →
 *   Alert.student`);
 * - from each list root (`cases { nodes { student } }`), every such field of what it lists;
 * - from `viewer` and `dashboard`, to depth 3.
 *
 * For each cell (a principal and a path, about all five targets at once) the test expects:
 * - 401 or 403 where the principal may not call the root, and 403 for a token that lacks the scope of any
 *   type on the path (TOKEN_NEEDS, written here by hand: a Student needs students:read wherever it is reached);
 * - otherwise, each target's record the path leads to (FIELD_RULES) present exactly when the principal sees it
 *   and everything before it on the path (`sees`, by hand, in the fixture);
 * - no record of a target that the principal does not see, anywhere in the answer;
 * - every object in the answer one that `nodes` shows the same principal: no path shows what `node` hides.
 *
 * A field that returns an object and has no rule, or a type without a token rule, fails the first tests: a new
 * field cannot ship before someone decides what it leads to.
 */
import type { ApiTokenScope } from '@pastoral/db';
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../graphql/relay.ts';
import { buildSchema } from '../../graphql/schema.ts';
import { type ApiHarness, type GraphQLResponse, startApiHarness } from '../../testing/api-harness.ts';
import {
  type AuthorizationFixture,
  expectNothingUnseen,
  makeAuthorizationFixture,
  type ObjectKind,
  type Principal,
  PRINCIPALS,
  sees,
  sender,
  type Target,
  TARGETS,
} from '../../testing/authorization-fixture.ts';

// ---- The schema's object fields -----------------------------------------------------------------------------

interface FieldInfo {
  type: string;
  /** The type the field leads to: a connection's node type, or the (listed) type itself. */
  target: string;
  /** The field pages: `first` goes in, and the objects are under `nodes`. */
  connection: boolean;
}

const schema = buildSchema();
const ROOTS = new Set(['Query', 'Mutation']);

/** The object types (not connections, edges, payloads, roots) and their fields that return objects. */
function objectFields(): Map<string, Map<string, FieldInfo>> {
  const unwrap = (type: unknown): { name: string; getFields?: () => Record<string, unknown> } => {
    let named = type as { ofType?: unknown; name: string };
    while (named.ofType) named = named.ofType as typeof named;
    return named as { name: string };
  };
  const types = new Map<string, Map<string, FieldInfo>>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || ROOTS.has(type.name) || !('isTypeOf' in type)) continue;
    if (/(Connection|Edge|Payload)$/.test(type.name) || ['PageInfo', 'UserError'].includes(type.name)) continue;
    if (!('getFields' in type)) continue;
    const fields = new Map<string, FieldInfo>();
    for (const [name, field] of Object.entries(type.getFields())) {
      const returned = unwrap(field.type);
      const definition = schema.getType(returned.name);
      if (!definition || !('getFields' in definition) || !('getInterfaces' in definition)) continue;
      const connection = returned.name.endsWith('Connection');
      const node = connection
        ? unwrap((definition.getFields() as Record<string, { type: unknown }>).nodes!.type).name
        : returned.name;
      fields.set(name, { type: returned.name, target: node, connection });
    }
    types.set(type.name, fields);
  }
  return types;
}
const OBJECT_FIELDS = objectFields();
/** The types that implement Node: asked for by id, so that every path reads at least one field of its type. */
const NODE_TYPES = new Set(
  Object.values(schema.getTypeMap())
    .filter((type) => 'getInterfaces' in type && type.getInterfaces().some((face) => face.name === 'Node'))
    .map((type) => type.name),
);

/**
 * Where each field leads from a target's record: the target's record of a kind, `none` when it leads to no
 * record of the target's (a district admin who raised a concern, say: the answer is still held to `nodes`), or
 * `part` for what is part of its parent and has no id (a student's risk profile: shown with its parent).
 */
type FieldRule = ObjectKind | 'none' | 'part';
const FIELD_RULES: Record<string, FieldRule> = {
  'Alert.student': 'student',
  'Alert.assignedTo': 'formMaster',
  'Alert.raisedBy': 'none',
  'ApiToken.school': 'school',
  'ApiToken.createdBy': 'none',
  'AuditLogEntry.actor': 'none',
  'AuditLogEntry.apiToken': 'none',
  'AuditLogEntry.school': 'school',
  'Student.disclosures': 'none',
  'Student.viewedBy': 'none',
  'StudentRecordView.viewer': 'none',
  'Student.classroom': 'classroom',
  'Student.school': 'school',
  'Student.riskProfile': 'part',
  'Student.attendance': 'part',
  'Student.behaviourIncidents': 'part',
  'Student.assessmentResults': 'part',
  'Student.alerts': 'alert',
  'Student.cases': 'case',
  'Viewer.user': 'none',
  'Viewer.school': 'none',
  'Viewer.classrooms': 'none',
  'Viewer.apiToken': 'none',
  'Viewer.sessions': 'none',
  'InterventionCase.student': 'student',
  'InterventionCase.assignedTo': 'none',
  'InterventionCase.openedBy': 'none',
  'InterventionCase.timeline': 'caseEvent',
  'InterventionCase.alerts': 'linkedAlert',
  'InterventionCase.didItWork': 'part',
  'DidItWork.atOpening': 'part',
  'DidItWork.now': 'part',
  'CaseEvent.author': 'none',
  'CaseEvent.fromUser': 'none',
  'CaseEvent.toUser': 'none',
  'Classroom.school': 'school',
  'Classroom.formMasters': 'formMaster',
  'Classroom.students': 'student',
  'Dashboard.openCasesByStatus': 'part',
  'Dashboard.studentsByRiskLevel': 'part',
  'Dashboard.newlyAtRisk': 'none',
  'School.classrooms': 'classroom',
  'School.staff': 'formMaster',
  'User.school': 'school',
};

/** The scope a token needs to read each type wherever it is reached: null for any token, `staff` for none. */
const TOKEN_NEEDS: Record<string, ApiTokenScope | null | 'staff'> = {
  Student: 'students:read',
  RiskProfile: 'students:read',
  AttendanceRecord: 'students:read',
  BehaviourIncident: 'students:read',
  AssessmentResult: 'students:read',
  InterventionCase: 'cases:read',
  CaseEvent: 'cases:read',
  DidItWork: 'cases:read',
  IndicatorSnapshot: 'cases:read',
  Alert: 'alerts:read',
  AuditLogEntry: 'audit:read',
  StudentRecordView: 'audit:read',
  Classroom: null,
  School: null,
  User: null,
  ApiToken: null,
  Viewer: null,
  Session: 'staff',
  Dashboard: 'staff',
  CaseStatusCount: 'staff',
  RiskLevelCount: 'staff',
};

/** The kind of target record `nodes` is given for each type. */
const KIND_OF_NODE: Record<string, ObjectKind> = {
  Student: 'student',
  InterventionCase: 'case',
  CaseEvent: 'caseEvent',
  Alert: 'alert',
  Classroom: 'classroom',
  School: 'school',
  User: 'formMaster',
  AuditLogEntry: 'auditEntry',
  ApiToken: 'apiToken',
};

// ---- The paths ----------------------------------------------------------------------------------------------

/** Who may call a root at all: anyone, staff and tokens holding a scope (null: any token), or staff only. */
type RootAccess = { kind: 'anyone' } | { kind: 'signedIn'; tokenScope: ApiTokenScope | null | 'never' };

interface Start {
  name: string;
  /** The type the root gives objects of. */
  type: string;
  access: RootAccess;
  /** The kind of each target's record the root gives, if it is given the targets (nodes, the list roots). */
  kind: ObjectKind | null;
  /** The document around a selection on `type`; per-target roots are aliased t0..t4. */
  document: (selection: string) => string;
  variables: (fixture: AuthorizationFixture) => Record<string, unknown>;
  /** Each target's object as the answer gives it (a list of candidates), or null for a root not per target. */
  perTarget: ((data: Record<string, unknown>, index: number) => unknown[]) | null;
  /** How many fields deep the paths from this root go below it (depth 3 in all, the root counted). */
  depth: number;
}

const PAGE = 'first: 30';

/** A root listing one list per target, aliased t0..t4, each filtered to the target by `filter`. */
function listRoot(
  name: string,
  type: string,
  kind: ObjectKind,
  tokenScope: ApiTokenScope | null | 'never',
  argument: { declaration: string; filter: string; value: (fixture: AuthorizationFixture, target: Target) => unknown },
): Start {
  return {
    name,
    type,
    access: { kind: 'signedIn', tokenScope },
    kind,
    depth: 1,
    document: (selection) =>
      `query (${TARGETS.map((_, index) => `$v${index}: ${argument.declaration}`).join(', ')}) { ${TARGETS.map(
        (_, index) =>
          `t${index}: ${name}(${PAGE}${argument.filter.replaceAll('$v', `$v${index}`)}) { nodes { id ${selection} } }`,
      ).join(' ')} }`,
    variables: (fixture) =>
      Object.fromEntries(TARGETS.map((target, index) => [`v${index}`, argument.value(fixture, target)])),
    perTarget: (data, index) => ((data[`t${index}`] as { nodes: unknown[] } | null)?.nodes ?? []) as unknown[],
  };
}

const byStudent = {
  declaration: 'ID!',
  filter: ', filter: { studentId: $v }',
  value: (fixture: AuthorizationFixture, target: Target) => fixture.targets[target].student,
};

const STARTS: Start[] = [
  ...Object.entries(KIND_OF_NODE).map(([type, kind]): Start => ({
    name: `nodes(${type})`,
    type,
    access: { kind: 'anyone' },
    kind,
    depth: 2,
    document: (selection) => `query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on ${type} { id ${selection} } } }`,
    variables: (fixture) => ({ ids: TARGETS.map((target) => fixture.targets[target].ids[kind]) }),
    perTarget: (data, index) => [(data.nodes as unknown[] | undefined)?.[index] ?? null],
  })),
  listRoot('students', 'Student', 'student', 'students:read', {
    declaration: 'ID!',
    filter: ', filter: { classroomId: $v, active: null }',
    value: (fixture, target) => fixture.targets[target].classroom,
  }),
  listRoot('cases', 'InterventionCase', 'case', 'cases:read', byStudent),
  listRoot('alerts', 'Alert', 'alert', 'alerts:read', byStudent),
  listRoot('classrooms', 'Classroom', 'classroom', null, {
    declaration: 'ID!',
    filter: ', filter: { schoolId: $v }',
    value: (fixture, target) => fixture.targets[target].school,
  }),
  listRoot('auditLog', 'AuditLogEntry', 'auditEntry', 'audit:read', {
    declaration: 'Int!',
    filter: ', filter: { entityType: "case", entityId: $v, from: "2020-01-01T00:00:00.000Z" }',
    value: (fixture, target) => fixture.targets[target].caseId,
  }),
  {
    name: 'schools',
    type: 'School',
    access: { kind: 'signedIn', tokenScope: null },
    kind: 'school',
    depth: 1,
    document: (selection) => `{ schools(${PAGE}) { nodes { id ${selection} } } }`,
    variables: () => ({}),
    perTarget: (data) => ((data.schools as { nodes: unknown[] } | null)?.nodes ?? []) as unknown[],
  },
  {
    name: 'apiTokens',
    type: 'ApiToken',
    access: { kind: 'signedIn', tokenScope: 'never' },
    kind: 'apiToken',
    depth: 1,
    document: (selection) => `{ apiTokens(first: 100) { nodes { id ${selection} } } }`,
    variables: () => ({}),
    perTarget: (data) => ((data.apiTokens as { nodes: unknown[] } | null)?.nodes ?? []) as unknown[],
  },
  {
    name: 'viewer',
    type: 'Viewer',
    access: { kind: 'anyone' },
    kind: null,
    depth: 2,
    document: (selection) => `{ viewer { __typename ${selection} } }`,
    variables: () => ({}),
    perTarget: null,
  },
  {
    name: 'dashboard',
    type: 'Dashboard',
    access: { kind: 'signedIn', tokenScope: 'never' },
    kind: null,
    depth: 2,
    document: (selection) => `{ dashboard { __typename ${selection} } }`,
    variables: () => ({}),
    perTarget: null,
  },
];

interface Path {
  start: Start;
  /** The fields below the root, each with the type it is on. */
  steps: { on: string; field: string; info: FieldInfo }[];
}

/** The selection of a path's steps: each object with its id (if it has one), to find the targets' records. */
function selectionOf(steps: Path['steps']): string {
  if (steps.length === 0) return '';
  const [step, ...rest] = steps as [Path['steps'][number], ...Path['steps']];
  const hasId = NODE_TYPES.has(step.info.target);
  const inner = `${hasId ? 'id' : '__typename'} ${selectionOf(rest)}`;
  return step.info.connection ? `${step.field}(${PAGE}) { nodes { ${inner} } }` : `${step.field} { ${inner} }`;
}

function paths(): Path[] {
  const found: Path[] = [];
  const extend = (start: Start, type: string, steps: Path['steps']) => {
    if (steps.length > 0) found.push({ start, steps });
    if (steps.length === start.depth) return;
    for (const [field, info] of OBJECT_FIELDS.get(type) ?? []) {
      extend(start, info.target, [...steps, { on: type, field, info }]);
    }
  };
  for (const start of STARTS) {
    if (start.kind) found.push({ start, steps: [] });
    extend(start, start.type, []);
  }
  return found;
}
const PATHS = paths();
const pathName = (path: Path) => [path.start.name, ...path.steps.map((step) => `${step.on}.${step.field}`)].join(' → ');

// ---- What each cell expects ---------------------------------------------------------------------------------

/**
 * 401, 403 (with the scope a token lacks, when a scope would do), or null when the principal may follow the
 * path.
 */
function refusal(principal: Principal, path: Path): { status: 401 | 403; scope?: ApiTokenScope } | null {
  const access = path.start.access;
  if (access.kind === 'signedIn' && principal.kind === 'anonymous') return { status: 401 };
  if (principal.kind !== 'token') return null;
  if (access.kind === 'signedIn' && access.tokenScope !== null && access.tokenScope !== principal.scope) {
    return access.tokenScope === 'never' ? { status: 403 } : { status: 403, scope: access.tokenScope };
  }
  const types = [path.start.type, ...path.steps.map((step) => step.info.target)];
  for (const type of types) {
    const needs = TOKEN_NEEDS[type];
    if (needs === 'staff') return { status: 403 };
    if (needs !== null && needs !== undefined && needs !== principal.scope) return { status: 403, scope: needs };
  }
  return null;
}

type Json = Record<string, unknown>;

/** The objects a field's value holds: a connection's nodes, a list's items, or the object itself. */
function objectsIn(value: unknown): Json[] {
  if (value == null) return [];
  if (Array.isArray(value)) return value.filter((item): item is Json => item != null && typeof item === 'object');
  const object = value as Json;
  if (Array.isArray(object.nodes)) return objectsIn(object.nodes);
  return [object];
}

/** Every global id in an answer. */
function globalIds(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) globalIds(item, into);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'id' && typeof item === 'string' && fromGlobalId(item)) into.add(item);
      else globalIds(item, into);
    }
  }
  return into;
}

// ---- The tests ------------------------------------------------------------------------------------------------

describe('the path matrix covers the schema', () => {
  it('has a rule for every field that returns an object', () => {
    const fields = [...OBJECT_FIELDS].flatMap(([type, fields]) =>
      [...fields.keys()].map((field) => `${type}.${field}`),
    );
    const missing = fields.filter((field) => !(field in FIELD_RULES));
    expect(
      missing,
      `fields without a rule in FIELD_RULES (authorization-paths.test.ts): ${missing.join(', ')}`,
    ).toEqual([]);
    const stale = Object.keys(FIELD_RULES).filter((field) => !fields.includes(field));
    expect(stale, `rules for fields the schema no longer has: ${stale.join(', ')}`).toEqual([]);
  });

  it('has a token rule for every object type', () => {
    const missing = [...OBJECT_FIELDS.keys()].filter((type) => !(type in TOKEN_NEEDS));
    expect(missing, `types without a rule in TOKEN_NEEDS (authorization-paths.test.ts): ${missing.join(', ')}`).toEqual(
      [],
    );
  });

  it('follows every field that returns an object, to depth 3', () => {
    const followed = new Set(PATHS.flatMap((path) => path.steps.map((step) => `${step.on}.${step.field}`)));
    expect([...followed].sort()).toEqual(Object.keys(FIELD_RULES).sort());
  });
});

for (const engine of testEngines()) {
  describe(`every path into an object, on ${engine.name}`, () => {
    let api: ApiHarness;
    let fixture: AuthorizationFixture;
    /** Which ids `nodes` shows each principal, as asked. */
    const nodeVisibility = new Map<string, Map<string, boolean>>();
    const cells = { count: 0 };

    beforeAll(async () => {
      api = await startApiHarness(engine);
      fixture = await makeAuthorizationFixture(api);
    });
    afterAll(async () => {
      console.log(`the path matrix on ${engine.name}: ${cells.count} cells (${PATHS.length} paths)`);
      await api?.close();
    });

    /** Which of `ids` `nodes` shows `principal` (asked once per id). */
    async function visibleByNode(principal: Principal, ids: Iterable<string>): Promise<Map<string, boolean>> {
      let known = nodeVisibility.get(principal.name);
      if (!known) nodeVisibility.set(principal.name, (known = new Map()));
      const unknown = [...ids].filter((id) => !known.has(id));
      const send = sender(api, fixture, principal);
      for (let start = 0; start < unknown.length; start += 100) {
        const batch = unknown.slice(start, start + 100);
        const response = await send('query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: batch });
        const found = (response.body.data?.nodes ?? []) as ({ id: string } | null)[];
        batch.forEach((id, index) => known.set(id, found[index]?.id === id));
      }
      return known;
    }

    /**
     * Walks one target's records down the path: at each step the target's record of the rule's kind must be
     * there exactly when the principal sees it and all before it.
     */
    function checkTarget(principal: Principal, path: Path, target: Target, candidates: unknown[], cell: string): void {
      const records = fixture.targets[target].ids;
      const startKind = path.start.kind!;
      let reached = sees(principal, target, startKind);
      let current = objectsIn(candidates).find((object) => object.id === records[startKind]);
      expect.soft(current !== undefined, `${cell}: the ${target} target's ${startKind}`).toBe(reached);
      for (const step of path.steps) {
        if (!current) return;
        const rule = FIELD_RULES[`${step.on}.${step.field}`]!;
        const value = current[step.field];
        if (rule === 'none') return;
        if (rule === 'part') {
          expect.soft(value != null, `${cell}: ${step.on}.${step.field} of the ${target} target`).toBe(true);
          current = objectsIn(value)[0];
          continue;
        }
        reached = reached && sees(principal, target, rule);
        current = objectsIn(value).find((object) => object.id === records[rule]);
        expect
          .soft(current !== undefined, `${cell}: the ${target} target's ${rule} through ${step.on}.${step.field}`)
          .toBe(reached);
      }
    }

    for (const principal of PRINCIPALS) {
      it(`as ${principal.name}`, async () => {
        const send = sender(api, fixture, principal);
        for (const path of PATHS) {
          const cell = `${pathName(path)} as ${principal.name}`;
          cells.count += 1;
          const response: GraphQLResponse = await send(
            path.start.document(selectionOf(path.steps)),
            path.start.variables(fixture),
          );
          const answer = `${cell}: ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`;
          const refused = refusal(principal, path);
          if (refused !== null) {
            expect.soft(response.status, answer).toBe(refused.status);
            expect.soft(response.body.data ?? null, answer).toBeNull();
            // RFC 6750: a token short of a scope is told which scope would do.
            if (refused.scope) {
              expect
                .soft(String(response.headers['www-authenticate']), answer)
                .toMatch(new RegExp(`^Bearer error="insufficient_scope", scope="[^"]*\\b${refused.scope}\\b`));
            }
            continue;
          }
          expect.soft(response.status, answer).toBe(200);
          expect.soft(response.body.errors, answer).toBeUndefined();
          const data = (response.body.data ?? {}) as Json;

          if (path.start.perTarget) {
            TARGETS.forEach((target, index) =>
              checkTarget(principal, path, target, path.start.perTarget!(data, index), cell),
            );
          }

          // No record of a target the principal does not see, anywhere in the answer.
          expectNothingUnseen(fixture, principal, response, answer);

          // Every object in the answer is one `nodes` shows the same principal.
          const ids = globalIds(data);
          const visible = await visibleByNode(principal, ids);
          const hidden = [...ids].filter((id) => !visible.get(id));
          expect.soft(hidden, `${cell}: objects that node() hides`).toEqual([]);
        }
      });
    }
  });
}
