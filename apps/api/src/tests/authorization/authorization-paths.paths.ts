/**
 * The paths authorization-paths.test.ts follows: every field of the schema that returns an object, read from
 * the built schema, and every path from a root (`nodes`, the list roots, `viewer`, `dashboard`) to depth 3.
 * What each field leads to (FIELD_RULES) and what a token needs (TOKEN_NEEDS) stay in the test file.
 */
import type { ApiTokenScope } from '@pastoral/db';
import { buildSchema } from '../../graphql/schema.ts';
import {
  type AuthorizationFixture,
  type ObjectKind,
  type Target,
  TARGETS,
} from '../../testing/authorization-fixture.ts';

// ---- The schema's object fields -----------------------------------------------------------------------------

export interface FieldInfo {
  type: string;
  /** The type the field leads to: a connection's node type, or the (listed) type itself. */
  target: string;
  /** The field pages: `first` goes in, and the objects are under `nodes`. */
  connection: boolean;
}

export const schema = buildSchema();
export const ROOTS = new Set(['Query', 'Mutation']);

/** The object types (not connections, edges, payloads, roots) and their fields that return objects. */
export function objectFields(): Map<string, Map<string, FieldInfo>> {
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
export const OBJECT_FIELDS = objectFields();
/** The types that implement Node: asked for by id, so that every path reads at least one field of its type. */
export const NODE_TYPES = new Set(
  Object.values(schema.getTypeMap())
    .filter((type) => 'getInterfaces' in type && type.getInterfaces().some((face) => face.name === 'Node'))
    .map((type) => type.name),
);

/** The kind of target record `nodes` is given for each type. */
export const KIND_OF_NODE: Record<string, ObjectKind> = {
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
export type RootAccess = { kind: 'anyone' } | { kind: 'signedIn'; tokenScope: ApiTokenScope | null | 'never' };

export interface Start {
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

export const PAGE = 'first: 30';

/** A root listing one list per target, aliased t0..t4, each filtered to the target by `filter`. */
export function listRoot(
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

export const byStudent = {
  declaration: 'ID!',
  filter: ', filter: { studentId: $v }',
  value: (fixture: AuthorizationFixture, target: Target) => fixture.targets[target].student,
};

export const STARTS: Start[] = [
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

export interface Path {
  start: Start;
  /** The fields below the root, each with the type it is on. */
  steps: { on: string; field: string; info: FieldInfo }[];
}

/** The selection of a path's steps: each object with its id (if it has one), to find the targets' records. */
export function selectionOf(steps: Path['steps']): string {
  if (steps.length === 0) return '';
  const [step, ...rest] = steps as [Path['steps'][number], ...Path['steps']];
  const hasId = NODE_TYPES.has(step.info.target);
  const inner = `${hasId ? 'id' : '__typename'} ${selectionOf(rest)}`;
  return step.info.connection ? `${step.field}(${PAGE}) { nodes { ${inner} } }` : `${step.field} { ${inner} }`;
}

export function paths(): Path[] {
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
export const PATHS = paths();
export const pathName = (path: Path) =>
  [path.start.name, ...path.steps.map((step) => `${step.on}.${step.field}`)].join(' → ');
