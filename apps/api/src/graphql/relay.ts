/**
 * Relay's global ids: opaque to the client, and for a school's row carrying its school beside its id, so that a
 * lookup by id names the school as every tenant query must. Lists page by keyset in ../paging/.
 */
import { badInput } from '../errors.ts';
import type { SchoolKey } from '../school-scope.ts';

/**
 * The types whose rows live in one school's tables (SCHOOL_COLUMN): their global ids carry the school beside
 * the row's id, so that a lookup by id names the school as every tenant query must.
 */
export const SCHOOL_NODE_TYPES = [
  'Classroom',
  'Student',
  'InterventionCase',
  'CaseEvent',
  'Alert',
  'AuditLogEntry',
] as const;
/** The district's own types (staff, schools, tokens, sessions): their global ids carry their id alone. */
const DISTRICT_NODE_TYPES = ['User', 'School', 'ApiToken', 'Session'] as const;

/** The types that implement Node, as they appear in global ids. */
export const NODE_TYPES = [...DISTRICT_NODE_TYPES, ...SCHOOL_NODE_TYPES] as const;
export type NodeType = (typeof NODE_TYPES)[number];
export type SchoolNodeType = (typeof SCHOOL_NODE_TYPES)[number];
export type DistrictNodeType = (typeof DISTRICT_NODE_TYPES)[number];

export const isSchoolNodeType = (type: NodeType): type is SchoolNodeType =>
  (SCHOOL_NODE_TYPES as readonly NodeType[]).includes(type);

/** `Student:3:1204` for a school's row (`-` for a district entry's missing school), `User:17` for the others. */
export function toGlobalId(type: DistrictNodeType, id: number): string;
export function toGlobalId(type: SchoolNodeType, key: SchoolKey): string;
export function toGlobalId(type: NodeType, key: number | SchoolKey): string {
  const text = typeof key === 'number' ? `${type}:${key}` : `${type}:${key.schoolId ?? '-'}:${key.id}`;
  return Buffer.from(text).toString('base64url');
}

export type DecodedGlobalId =
  { type: SchoolNodeType; key: SchoolKey } | { type: DistrictNodeType; key: { schoolId: null; id: number } };

const ID = '([1-9]\\d{0,15})';
const GLOBAL_ID = new RegExp(`^([A-Za-z]+):(?:(-|${ID}):)?${ID}$`);

/** The type and key behind a global id, or null for anything that is not one of ours. */
export function fromGlobalId(globalId: string): DecodedGlobalId | null {
  if (globalId.length > 100 || !/^[A-Za-z0-9_-]+$/.test(globalId)) return null;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const match = GLOBAL_ID.exec(decoded);
  if (!match || !NODE_TYPES.includes(match[1] as NodeType)) return null;
  const type = match[1] as NodeType;
  const id = Number(match[4]);
  if (!Number.isSafeInteger(id)) return null;
  if (!isSchoolNodeType(type)) return match[2] === undefined ? { type, key: { schoolId: null, id } } : null;
  // Only the audit log has rows without a school.
  if (match[2] === undefined || (match[2] === '-' && type !== 'AuditLogEntry')) return null;
  const schoolId = match[2] === '-' ? null : Number(match[3]);
  return schoolId !== null && !Number.isSafeInteger(schoolId) ? null : { type, key: { schoolId, id } };
}

function decodeAs(globalId: string, type: NodeType, argument: string): DecodedGlobalId {
  const decoded = fromGlobalId(globalId);
  if (!decoded || decoded.type !== type) {
    throw badInput(
      `${argument} must be the id of ${/^[AEIOU]/.test(type) ? 'an' : 'a'} ${type}, as the API gave it.`,
      argument,
    );
  }
  return decoded;
}

/**
 * The database id of a global id that must name a given type (a filter argument, a mutation input). A
 * malformed id is the caller's mistake and says so; a well-formed id of a missing record is left to the
 * lookup, which answers as for any record the viewer cannot see.
 */
export function idOfType(globalId: string, type: DistrictNodeType, argument: string): number {
  return decodeAs(globalId, type, argument).key.id;
}

/** idOfType for a school's row: its school and id. */
export function schoolKeyOfType(globalId: string, type: SchoolNodeType, argument: string): SchoolKey {
  return decodeAs(globalId, type, argument).key;
}
