import { requireReader } from '../../context.ts';
import { toGlobalId } from '../../graphql/relay.ts';
import type { Resolvers } from '../../graphql/resolvers-types.generated.ts';
import { staffOfSchool } from '../users/user.repository.ts';
import { listClassrooms } from '../classrooms/classroom.repository.ts';
import { listSchools } from './school.repository.ts';

export const schoolResolvers: Resolvers = {
  Query: {
    schools: (_parent, args, context) => listSchools(context.db, requireReader(context, 'reference'), args),
  },
  School: {
    id: (school) => toGlobalId('School', school.id),
    timeZone: (school) => school.time_zone,
    classrooms: (school, args, context) =>
      listClassrooms(context.db, requireReader(context, 'reference'), { schoolId: school.id }, args),
    staff: (school, _args, context) => staffOfSchool(context.db, requireReader(context, 'reference'), school.id),
  },
};
