import type { Role, User } from '@pastoral/db';
import type { TokenPrincipal } from '../api-tokens/token-principal.ts';

/** The signed-in staff member a request acts for: who they are and what they may see. */
export interface Viewer {
  user: User;
  role: Role;
  /** Null for district staff. */
  schoolId: number | null;
  /** The classrooms the user is form master or assistant of. */
  classroomIds: number[];
  canViewRestricted: boolean;
  session: { idHash: string; expiresAt: string };
}

/** Who `Query.viewer` answers for: a member of staff, or the integrator's token the request carries. */
export type ViewerModel = Viewer | { token: TokenPrincipal };

export function isStaffViewer(model: ViewerModel): model is Viewer {
  return !('token' in model);
}
