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
import { OBJECT_FIELDS, type Path, pathName, PATHS, selectionOf } from './authorization-paths.paths.ts';

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
  // What the viewer may do with a record: flags shown with it.
  'Alert.viewerCan': 'part',
  'ApiToken.viewerCan': 'part',
  'InterventionCase.viewerCan': 'part',
  'Student.viewerCan': 'part',
  'Viewer.viewerCan': 'none',
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
  StudentViewerCan: 'students:read',
  CaseViewerCan: 'cases:read',
  AlertViewerCan: 'alerts:read',
  ApiTokenViewerCan: null,
  ViewerCan: null,
};

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
