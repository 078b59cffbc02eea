/**
 * The lists of the load test's mix (bench/loadtest.ts) read the rows they return: each page's statement, exactly
 * as the web app's operation sends it, reads through the index that gives its order and stops at its LIMIT.
 * On MariaDB the statement is run under ANALYZE, which counts the rows each step really read; on SQLite its plan
 * must not sort the list in a temporary B-tree. Before students.risk_level a school's roster read its 150
 * students and, through the wrong index, 150 profiles for each (22,500 rows) and sorted them all.
 *
 * A form master's lists read their scope (a classroom and their assignments, a few hundred rows) as a materialised
 * set of ids, whole, and sort it (docs/PERFORMANCE.md); the ids of their assigned students come from indexes alone.
 */
import { CompiledQuery, sql } from 'kysely';
import { format } from 'mysql2';
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type SentQuery, seedClock, startApiHarness } from '../../testing/api-harness.ts';
import { planOf } from '../../testing/statement-plan.ts';
import { webOperation } from '../../testing/web-operations.ts';

/** The web app's pages ask for 25 rows, and read one more to know whether there is a next page. */
const PAGE_ROWS = 26;

interface HotList {
  account: string;
  operation: 'StudentsPageQuery' | 'CasesPageQuery' | 'AlertsPageQuery';
  variables: Record<string, unknown>;
  table: 'students' | 'intervention_cases' | 'alerts';
  index: string;
}

const HOT_LISTS: HotList[] = [
  {
    account: 'pastoral.lead@s01.pastoral.example',
    operation: 'StudentsPageQuery',
    variables: {},
    table: 'students',
    index: 'students_school_active_risk_idx',
  },
  {
    account: 'district.admin@pastoral.example',
    operation: 'StudentsPageQuery',
    variables: {},
    table: 'students',
    index: 'students_active_risk_idx',
  },
  {
    account: 'school.admin@s01.pastoral.example',
    operation: 'CasesPageQuery',
    variables: { filter: {} },
    table: 'intervention_cases',
    index: 'cases_school_created_idx',
  },
  {
    account: 'district.admin@pastoral.example',
    operation: 'CasesPageQuery',
    variables: { filter: {} },
    table: 'intervention_cases',
    index: 'cases_created_idx',
  },
  {
    account: 'pastoral.lead@s01.pastoral.example',
    operation: 'AlertsPageQuery',
    variables: { filter: { status: ['NEW'] } },
    table: 'alerts',
    index: 'alerts_school_status_idx',
  },
  {
    account: 'district.admin@pastoral.example',
    operation: 'AlertsPageQuery',
    variables: { filter: { status: ['NEW'] } },
    table: 'alerts',
    index: 'alerts_status_date_idx',
  },
];

/** The statement that reads the page: the one that orders the list's table and stops at a LIMIT. */
function pageStatement(queries: SentQuery[], table: string): SentQuery {
  const from = new RegExp(`from [\`"]${table}[\`"]`);
  const page = queries.find(
    (query) => from.test(query.sql) && /order by/i.test(query.sql) && /\blimit\b/i.test(query.sql),
  );
  if (!page) throw new Error(`no page of ${table} among:\n${queries.map((query) => query.sql).join('\n')}`);
  return page;
}

for (const engine of testEngines()) {
  describe(`the load test's lists read their pages from an index on ${engine.name}`, () => {
    let api: ApiHarness;
    const cookies = new Map<string, string>();
    beforeAll(async () => {
      api = await startApiHarness(engine, { clock: seedClock() });
      for (const account of new Set(HOT_LISTS.map((list) => list.account))) {
        cookies.set(account, await api.signIn(account));
      }
    });
    afterAll(() => api.close());

    it("a form master's roster reads the students of their assigned cases and alerts from indexes alone", async () => {
      const account = 'form.master@s01.pastoral.example';
      const response = await api.graphql(webOperation('StudentsPageQuery'), {}, await api.signIn(account));
      expect(response.body.errors).toBeUndefined();
      const page = pageStatement(response.queries, 'students');
      const { db } = api.database.handle;
      if (engine.name === 'mysql') {
        const run = async (text: string) => (await sql.raw(text).execute(db)).rows as Record<string, unknown>[];
        const plan = await planOf(run, format(page.sql, [...page.parameters] as never));
        const assigned = plan.steps.filter((step) => step.table === 'alerts' || step.table === 'intervention_cases');
        expect(assigned.map((step) => [step.table, step.index, step.indexOnly])).toEqual(
          expect.arrayContaining([
            ['alerts', 'alerts_assigned_student_idx', true],
            ['intervention_cases', 'cases_assigned_student_idx', true],
          ]),
        );
      } else {
        const plan = await api.database.handle.dialect.explain({
          compile: () => CompiledQuery.raw(page.sql, [...page.parameters]),
        });
        const details = plan.map((step) => step.detail).join('; ');
        expect(details).toContain('COVERING INDEX alerts_assigned_student_idx');
        expect(details).toContain('COVERING INDEX cases_assigned_student_idx');
      }
    });

    it("the district's dashboard reads its newly-at-risk page from the newest worsened profile, not the week's", async () => {
      const response = await api.graphql(
        webOperation('DashboardPageQuery'),
        {},
        cookies.get('district.admin@pastoral.example'),
      );
      expect(response.body.errors).toBeUndefined();
      const page = pageStatement(response.queries, 'students');
      expect(page.sql).toMatch(/worsened_at/);
      const { db } = api.database.handle;
      if (engine.name === 'mysql') {
        const run = async (text: string) => (await sql.raw(text).execute(db)).rows as Record<string, unknown>[];
        const plan = await planOf(run, format(page.sql, [...page.parameters] as never));
        const profiles = plan.steps.filter((step) => step.table === 'risk_profiles');
        expect(profiles.map((step) => step.index)).toEqual(['risk_profiles_worsened_idx']);
        // The panel's 10 and one more, each joined with its student: no week of profiles read and sorted.
        expect(plan.returned).toBeGreaterThan(0);
        expect(plan.examined).toBeLessThanOrEqual(2 * 11);
        expect(plan.sorted).toBe(0);
      } else {
        const plan = await api.database.handle.dialect.explain({
          compile: () => CompiledQuery.raw(page.sql, [...page.parameters]),
        });
        expect(plan.map((step) => step.detail).join('; ')).not.toMatch(/TEMP B-TREE/);
      }
    });

    for (const { account, operation, variables, table, index } of HOT_LISTS) {
      it(`${operation} as ${account.split('@')[0]} reads ${table} through ${index}, a page's rows and no more`, async () => {
        const response = await api.graphql(webOperation(operation), variables, cookies.get(account));
        expect(response.body.errors).toBeUndefined();
        const page = pageStatement(response.queries, table);
        const { db } = api.database.handle;
        if (engine.name === 'mysql') {
          const run = async (text: string) => (await sql.raw(text).execute(db)).rows as Record<string, unknown>[];
          const plan = await planOf(run, format(page.sql, [...page.parameters] as never));
          const reads = plan.steps.filter((step) => step.table === table);
          // The page is read in the index's order, then (for wide rows) its rows joined by primary key.
          expect(reads.map((step) => step.index)).toContain(index);
          expect(reads.every((step) => step.index === index || step.index === 'PRIMARY')).toBe(true);
          expect(plan.returned).toBe(PAGE_ROWS);
          // Through the index, the page's own rows; a deferred join reads them again by key, from its derived table.
          expect(plan.examined).toBeLessThanOrEqual(3 * PAGE_ROWS);
          // At most the page itself is sorted again, never the list.
          expect(plan.sorted).toBeLessThanOrEqual(PAGE_ROWS);
        } else {
          const plan = await api.database.handle.dialect.explain({
            compile: () => CompiledQuery.raw(page.sql, [...page.parameters]),
          });
          expect(plan.filter((step) => step.table === table).map((step) => step.index)).toContain(index);
          expect(plan.map((step) => step.detail).join('; ')).not.toMatch(/TEMP B-TREE/);
        }
      });
    }
  });
}
