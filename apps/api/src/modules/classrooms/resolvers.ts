import { requireReader } from '../../context.ts';
import { idOfType, toGlobalId } from '../../graphql/relay.ts';
import type { Resolvers } from '../../graphql/resolvers-types.generated.ts';
import { schoolKeyOf } from '../../school-scope.ts';
import { listStudents } from '../students/student.repository.ts';
import { listClassrooms } from './classroom.repository.ts';

export const classroomResolvers: Resolvers = {
  Query: {
    classrooms: (_parent, { filter, ...page }, context) =>
      listClassrooms(
        context.db,
        requireReader(context, 'reference'),
        {
          schoolId: filter?.schoolId == null ? undefined : idOfType(filter.schoolId, 'School', 'filter.schoolId'),
          yearGroup: filter?.yearGroup ?? undefined,
          mine: filter?.mine ?? undefined,
        },
        page,
      ),
  },
  Classroom: {
    id: (classroom) => toGlobalId('Classroom', schoolKeyOf(classroom)),
    yearGroup: (classroom) => classroom.year_group,
    school: async (classroom, _args, context) => (await context.loaders.schoolById.load(classroom.school_id))!,
    formMasters: (classroom, _args, context) => context.loaders.formMastersByClassroomId.load(schoolKeyOf(classroom)),
    students: (classroom, { includeInactive, ...page }, context) =>
      listStudents(
        context.db,
        requireReader(context, 'student'),
        { classroom: schoolKeyOf(classroom), active: includeInactive ? null : true },
        { field: 'NAME', direction: 'ASC' },
        page,
      ),
  },
};
