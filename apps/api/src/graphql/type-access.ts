/**
 * What each type of the schema holds, and so who may read it: the one table that decides, field by field,
 * whether an API token may follow a path. A token reads a type only with the scope of its kind, wherever the
 * type is reached: `cases { nodes { student { fullName } } }` reads Student data and needs `students:read` as
 * surely as `students` does. Staff are not held to scopes; their role scopes every kind (the policies).
 *
 * The check runs on the operation before anything executes (typeAccessPlugin): a token that asks for a type it
 * may not read is refused whole, with a 403 naming each scope it lacks and where the document needs it, and no
 * statement is sent. `node` and `nodes`, whose type is known only from the id, apply the same table through the
 * loaders (readerOf): a token without the kind's scope finds no such object.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { ApiTokenScope } from '@pastoral/db';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
} from 'graphql';
import { forbidden, insufficientScope } from './errors.ts';
import { namedType, withFields } from './limits.ts';

/**
 * The kinds of record, each read under a scope of its own. `reference` is what any token of a school may read
 * of it (the school, its classrooms, its staff's names): an integrator needs them to map its own records.
 */
export type RecordKind = 'student' | 'case' | 'alert' | 'audit' | 'reference';

/** The scope a token needs to read each kind; null for every token. */
export const TOKEN_SCOPE_OF_KIND: Record<RecordKind, ApiTokenScope | null> = {
  student: 'students:read',
  case: 'cases:read',
  alert: 'alerts:read',
  audit: 'audit:read',
  reference: null,
};

/**
 * A type's access: the kind of record it holds, `open` for what every caller of the field that returns it may
 * read (root types, payloads: the root field decides), or `staff` for what only signed-in staff read.
 */
export type TypeAccess = RecordKind | 'open' | 'staff';

/**
 * Every object type of the schema, but the connections and edges, which are their node's (AlertConnection is
 * Alert's) and the mutation payloads, which are open (their mutation decides who calls it). A test reads the
 * schema: a type without an entry fails it.
 */
export const TYPE_ACCESS: Record<string, TypeAccess> = {
  Query: 'open',
  Mutation: 'open',
  PageInfo: 'open',
  UserError: 'open',
  // Who is asking: a member of staff or the token itself.
  Viewer: 'open',
  ViewerCan: 'open',
  // A token reads only its own record (through `viewer`); staff the tokens they manage (api-token.policy.ts).
  ApiToken: 'open',
  ApiTokenViewerCan: 'open',

  Student: 'student',
  RiskProfile: 'student',
  AttendanceRecord: 'student',
  BehaviourIncident: 'student',
  AssessmentResult: 'student',
  // What the viewer may do with a record is read with the record: a token reaching it needs the record's scope.
  StudentViewerCan: 'student',

  InterventionCase: 'case',
  CaseEvent: 'case',
  DidItWork: 'case',
  IndicatorSnapshot: 'case',
  CaseViewerCan: 'case',

  Alert: 'alert',
  AlertViewerCan: 'alert',
  AuditLogEntry: 'audit',
  StudentRecordView: 'audit',

  School: 'reference',
  Classroom: 'reference',
  User: 'reference',

  // A user's own sessions: a token has none.
  Session: 'staff',
  Dashboard: 'staff',
  CaseStatusCount: 'staff',
  RiskLevelCount: 'staff',
};

/** The access of an object type by the table (connections and edges as their node, payloads open). */
export function accessOf(typeName: string): TypeAccess | undefined {
  const listed = TYPE_ACCESS[typeName];
  if (listed) return listed;
  const node = /^(.+?)(?:Connection|Edge)$/.exec(typeName)?.[1];
  if (node) return TYPE_ACCESS[node];
  if (typeName.endsWith('Payload')) return 'open';
  return undefined;
}

/** Where a document reads a type a token may not: the type's field, and the path of field names to it. */
interface Refusal {
  scope: ApiTokenScope | 'staff';
  field: string;
  path: string;
}

/**
 * The first place the operation reads each kind `allowed` does not include, following fragments (each measured
 * once) and leaving out what `@skip`/`@include` leave out. Field names, never aliases, name the places: the
 * message quotes nothing the client wrote.
 */
export function refusedReads(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
  allowed: (access: TypeAccess) => boolean,
): Refusal[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const refusals = new Map<string, Refusal>();
  const walkedFragments = new Set<string>();
  const included = (selection: SelectionNode) =>
    (selection.directives ?? []).every((directive) => {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') return true;
      const condition = directive.arguments?.find((argument) => argument.name.value === 'if');
      const value = condition ? valueFromASTUntyped(condition.value, variables) : undefined;
      return name === 'skip' ? value !== true : value !== false;
    });

  function walk(selectionSet: SelectionSetNode, typeName: string, path: string[]): void {
    const type = withFields(schema.getType(typeName));
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, selection.typeCondition?.name.value ?? typeName, path);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        // A fragment's reads do not depend on where it is spread: its type condition fixes them.
        const fragment = fragments.get(selection.name.value);
        if (!fragment || walkedFragments.has(fragment.name.value)) continue;
        walkedFragments.add(fragment.name.value);
        walk(fragment.selectionSet, fragment.typeCondition.name.value, path);
        continue;
      }
      const name = selection.name.value;
      // Introspection reads the schema, never a record.
      if (name.startsWith('__')) continue;
      const fieldPath = [...path, name];
      const access = accessOf(typeName);
      if (access !== undefined && !allowed(access)) {
        const scope = access === 'staff' ? 'staff' : TOKEN_SCOPE_OF_KIND[access as RecordKind];
        if (scope !== null) {
          const key = String(scope);
          if (!refusals.has(key)) refusals.set(key, { scope, field: `${typeName}.${name}`, path: fieldPath.join('.') });
        }
      }
      const definition = type?.getFields()[name];
      if (selection.selectionSet && definition)
        walk(selection.selectionSet, namedType(definition.type).name, fieldPath);
    }
  }

  const root = schema.getRootType(operation.operation);
  if (root) walk(operation.selectionSet, root.name, []);
  return [...refusals.values()];
}

/** May a token holding `scopes` read a type of this access? */
export function tokenMayRead(scopes: readonly ApiTokenScope[], access: TypeAccess): boolean {
  if (access === 'open') return true;
  if (access === 'staff') return false;
  const scope = TOKEN_SCOPE_OF_KIND[access];
  return scope === null || scopes.includes(scope);
}

/**
 * Refuses, before execution, an API token's operation that reads a type the token's scopes do not cover:
 * 403, each missing scope named with the first field that needs it. Staff and anonymous requests pass; their
 * role (or the lack of one) is the resolvers' and policies' to apply.
 */
export function typeAccessPlugin<
  TContext extends { token: { scopes: ApiTokenScope[] } | null; viewer: unknown },
>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema, contextValue }) {
          const token = contextValue.token;
          if (!operation || !token || contextValue.viewer) return;
          const refusals = refusedReads(schema, document, operation, request.variables ?? {}, (access) =>
            tokenMayRead(token.scopes, access),
          );
          if (refusals.length === 0) return;
          const reasons = refusals.map((refusal) =>
            refusal.scope === 'staff'
              ? `${refusal.field} is for signed-in staff only (at ${refusal.path})`
              : `${refusal.field} needs the ${refusal.scope} scope (at ${refusal.path})`,
          );
          const message = `This API token may not read everything the query asks for: ${reasons.join('; ')}. Leave those fields out, or ask an admin for a token with the scopes named.`;
          const scopes = refusals.flatMap((refusal) => (refusal.scope === 'staff' ? [] : [refusal.scope]));
          throw scopes.length > 0 ? insufficientScope(message, scopes) : forbidden(message);
        },
      };
    },
  };
}
