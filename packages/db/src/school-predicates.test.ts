import { describe, expect, it } from 'vitest';
import { schoolPredicateProblems } from './school-predicates.ts';

const REVIEWED = ['district-lists'];
const problemsOf = (statement: string) => schoolPredicateProblems(statement, REVIEWED);

describe('schoolPredicateProblems', () => {
  it('passes a lookup that names the school, as MySQL and SQLite quote it', () => {
    expect(problemsOf('select * from `students` where `students`.`school_id` in (?, ?) and `id` in (?)')).toEqual([]);
    expect(problemsOf('select * from "students" where "students"."school_id" = ? and "id" in (?)')).toEqual([]);
    expect(problemsOf('select * from students where school_id is null')).toEqual([]);
  });

  it('refuses a tenant table read by id alone', () => {
    expect(problemsOf('select * from `students` where `id` in (?, ?)')).toEqual([
      expect.stringMatching(/^`students` is read without its school/),
    ]);
  });

  it('counts only conjuncts: a school on one side of an OR routes nothing', () => {
    expect(problemsOf('select * from students where (school_id = ? or assigned_to = ?)')).toHaveLength(1);
    expect(problemsOf('select * from students where (school_id = ? and (is_active = ?)) and id = ?')).toEqual([]);
    expect(problemsOf('select * from students where not (school_id = ?)')).toHaveLength(1);
    expect(problemsOf('select * from students where school_id > ?')).toHaveLength(1);
  });

  it('reads BETWEEN … AND … as one conjunct', () => {
    expect(problemsOf('select * from alerts where alert_date between ? and ? and school_id = ?')).toEqual([]);
  });

  it('anchors a joined table through an equality with an anchored school column, and only so', () => {
    const join = 'select * from alerts inner join students on students.id = alerts.student_id';
    expect(problemsOf(`${join} where alerts.school_id = ?`)).toEqual([
      expect.stringMatching(/^`students` is read without its school/),
    ]);
    expect(problemsOf(`${join} and students.school_id = alerts.school_id where alerts.school_id = ?`)).toEqual([]);
    // An equality with another column is no school.
    expect(problemsOf(`${join} and students.school_id = alerts.severity where alerts.school_id = ?`)).toHaveLength(1);
  });

  it('holds subqueries to the rule, with the statement around them in scope', () => {
    const outer = 'select * from students where students.school_id = ? and students.id in';
    expect(problemsOf(`${outer} (select own.id from students as own where own.classroom_id in (?))`)).toEqual([
      expect.stringMatching(/^`students` \(as own\) is read without its school/),
    ]);
    expect(
      problemsOf(`${outer} (select own.id from students as own where own.school_id = students.school_id)`),
    ).toEqual([]);
    expect(
      problemsOf(
        `${outer} (select v.id from (select own.id from students own where own.school_id = ? union select a.student_id from alerts a where a.assigned_to = ?) as v)`,
      ),
    ).toEqual([expect.stringMatching(/^`alerts` \(as a\) is read without its school/)]);
  });

  it('lets a derived table pass its school out through the columns it selects', () => {
    const page = (inner: string) =>
      `select alerts.* from ((select alerts.id as page_id, alerts.school_id as page_school_id from alerts where ${inner} limit ?)) as page inner join alerts on alerts.school_id = page.page_school_id and alerts.id = page.page_id`;
    expect(problemsOf(page('alerts.school_id = ?'))).toEqual([]);
    // The page itself reads every school: both it and the rows joined to it are refused.
    expect(problemsOf(page('alerts.status = ?'))).toHaveLength(1);
    expect(
      problemsOf(
        'select alerts.* from (select alerts.id as page_id from alerts where alerts.school_id = ?) as page inner join alerts on alerts.id = page.page_id',
      ),
    ).toHaveLength(1);
  });

  it('lets a district table lend its row school to a correlated subquery', () => {
    expect(
      problemsOf(
        'select users.*, (select group_concat(ca.classroom_id) from classroom_assignments as ca where ca.user_id = users.id and ca.school_id = users.school_id) as classrooms from sessions inner join users on users.id = sessions.user_id where sessions.id_hash = ?',
      ),
    ).toEqual([]);
    expect(
      problemsOf(
        'select users.*, (select group_concat(ca.classroom_id) from classroom_assignments as ca where ca.user_id = users.id) as classrooms from users where users.id = ?',
      ),
    ).toHaveLength(1);
  });

  it("needs nothing of the district's own tables", () => {
    expect(problemsOf('select * from users where email = ?')).toEqual([]);
    expect(problemsOf('delete from sessions where expires_at < ?')).toEqual([]);
    expect(problemsOf('select * from schools where code = ?')).toEqual([]);
  });

  it('accepts a statement that can match no row', () => {
    expect(problemsOf('select count(*) from (select 1 from audit_log where 1 = 0 limit ?) as limited')).toEqual([]);
  });

  it('holds inserts, updates and deletes to the rule', () => {
    expect(problemsOf('insert into alerts (student_id, status) values (?, ?)')).toEqual([
      'an insert into `alerts` gives no school_id',
    ]);
    expect(problemsOf('insert into `alerts` (`school_id`, `student_id`) values (?, ?), (?, ?)')).toEqual([]);
    expect(problemsOf('update `alerts` set `status` = ? where `id` in (?)')).toHaveLength(1);
    expect(problemsOf('update `alerts` set `status` = ? where `school_id` = ? and `id` in (?)')).toEqual([]);
    expect(problemsOf('delete from case_alerts where case_id = ?')).toHaveLength(1);
    expect(problemsOf('delete from case_alerts where school_id = ? and case_id = ?')).toEqual([]);
    expect(
      problemsOf('insert into risk_profiles (student_id, school_id) select id, school_id from students where id = ?'),
    ).toHaveLength(1);
    // The rows an INSERT … SELECT copies are read under the rule, joins and all, and its comments count.
    const copy = 'insert into case_alerts (case_id, alert_id, school_id) select c.id, a.id, a.school_id from alerts a';
    expect(
      problemsOf(`${copy} inner join intervention_cases c on c.student_id = a.student_id where a.school_id = ?`),
    ).toEqual([expect.stringMatching(/^`intervention_cases` \(as c\) is read without its school/)]);
    expect(
      problemsOf(
        `${copy} inner join intervention_cases c on c.school_id = a.school_id and c.student_id = a.student_id where a.school_id = ? on duplicate key update case_id = case_id`,
      ),
    ).toEqual([]);
    expect(problemsOf(`${copy} where /* district-wide: district-lists */ 1 = 1`)).toEqual([]);
  });

  it('exempts a scope marked district-wide with a reviewed reason, and no other', () => {
    expect(problemsOf('select * from students where /* district-wide: district-lists */ 1 = 1')).toEqual([]);
    expect(problemsOf('select * from students where (/* district-wide: because */ 1 = 1)')).toEqual([
      '"district-wide: because" is not a reviewed district-wide reason',
      expect.stringMatching(/^`students` is read without its school/),
    ]);
    // The mark covers its own scope, not a subquery's.
    expect(
      problemsOf(
        'select * from students where /* district-wide: district-lists */ 1 = 1 and id in (select student_id from alerts where assigned_to = ?)',
      ),
    ).toEqual([expect.stringMatching(/^`alerts` is read without its school/)]);
  });

  it('ignores statements that touch no rows', () => {
    for (const statement of ['begin', 'commit', 'rollback', 'set session transaction isolation level read committed']) {
      expect(problemsOf(statement)).toEqual([]);
    }
  });
});
