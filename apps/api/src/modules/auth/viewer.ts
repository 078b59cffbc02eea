import type { Role, User } from '@pastoral/db';

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
