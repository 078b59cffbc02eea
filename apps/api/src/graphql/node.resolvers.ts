/**
 * `node` and `nodes`: any object by its global id, through the same visibility scopes as every list, for staff
 * and tokens alike (a token finds only the kinds its scopes read; see loaders.ts).
 */
import type { GraphQLContext } from '../context.ts';
import { badInput } from '../errors.ts';
import { type DistrictNodeType, fromGlobalId, isSchoolNodeType, type NodeType, type SchoolNodeType } from './relay.ts';
import type { SchoolKey } from '../school-scope.ts';
import type { Resolvers } from './resolvers-types.generated.ts';

export const MAX_NODES = 100;

async function loadNode(context: GraphQLContext, globalId: string): Promise<object | null> {
  const decoded = fromGlobalId(globalId);
  if (!decoded) return null;
  const { loaders } = context;
  const ofDistrict: Record<DistrictNodeType, { load: (id: number) => Promise<object | null> }> = {
    User: loaders.visibleUser,
    School: loaders.visibleSchool,
    ApiToken: loaders.visibleApiToken,
    Session: loaders.visibleSession,
  };
  const ofSchool: Record<SchoolNodeType, { load: (key: SchoolKey) => Promise<object | null> }> = {
    Classroom: loaders.visibleClassroom,
    Student: loaders.visibleStudent,
    InterventionCase: loaders.visibleCase,
    CaseEvent: loaders.visibleCaseEvent,
    Alert: loaders.visibleAlert,
    AuditLogEntry: loaders.visibleAuditEntry,
  };
  const row = isSchoolNodeType(decoded.type)
    ? await ofSchool[decoded.type].load(decoded.key)
    : await ofDistrict[decoded.type].load(decoded.key.id);
  // The type travels with the row, for Node's type resolution.
  return row === null ? null : { ...row, __typename: decoded.type };
}

export const nodeResolvers: Resolvers = {
  Query: {
    node: (_parent, { id }, context) => loadNode(context, id) as never,
    nodes: (_parent, { ids }, context) => {
      if (ids.length > MAX_NODES) {
        throw badInput(`nodes takes at most ${MAX_NODES} ids (got ${ids.length}); split the request.`, 'ids');
      }
      return Promise.all(ids.map((id) => loadNode(context, id))) as never;
    },
  },
  Node: {
    __resolveType: (node) => (node as unknown as { __typename: NodeType }).__typename,
  },
};
