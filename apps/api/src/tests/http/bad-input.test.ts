/**
 * Bad input everywhere (issue #8, item 9): malformed JSON, wrong content types, bodies of the wrong shape,
 * invalid enum, id, date and e-mail values, oversize and partly bad batches. Each is answered with a 4xx or a
 * userError whose message names what is wrong, and changes nothing: every table holds the same rows after it
 * as before. (CSV files with bad encodings or columns: csv-import.test.ts.)
 */
import { testEngines } from '@pastoral/db/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../graphql/limits.ts';
import { toGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, type RawResponse, startApiHarness } from '../../testing/api-harness.ts';

interface UserError {
  field: string[];
  message: string;
}

/** The tables a request could change, counted before and after each bad one. */
const TABLES = [
  'students',
  'attendance_records',
  'behaviour_incidents',
  'assessment_results',
  'alerts',
  'intervention_cases',
  'case_events',
  'audit_log',
  'sessions',
  'api_tokens',
  'idempotency_keys',
] as const;

describe.each(testEngines())('bad input on $name', (engine) => {
  let api: ApiHarness;
  let lead: string;
  let token: string;
  let caseId: string;
  let caseVersion: number;
  let externalId: string;

  beforeAll(async () => {
    api = await startApiHarness(engine);
    lead = await api.signIn('pastoral.lead@s01.pastoral.example');
    const admin = await api.signIn('school.admin@s01.pastoral.example');
    const created = await api.graphql<{ createApiToken: { token: string } }>(
      'mutation { createApiToken(input: { name: "Bad input", scopes: [ATTENDANCE_WRITE, ROSTER_WRITE] }) { token } }',
      {},
      admin,
    );
    token = created.body.data!.createApiToken.token;
    const cases = await api.graphql<{ cases: { nodes: { id: string; version: number }[] } }>(
      '{ cases(first: 1, filter: { status: [OPEN] }) { nodes { id version } } }',
      {},
      lead,
    );
    ({ id: caseId, version: caseVersion } = cases.body.data!.cases.nodes[0]!);
    const student = await api.database.handle.db
      .selectFrom('students')
      .select('external_id')
      .where('school_id', '=', 1)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    externalId = student.external_id;
  });
  afterAll(() => api.close());

  async function rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const { rows } = await sql<{ count: number }>`select count(*) as count from ${sql.table(table)}`.execute(
        api.database.handle.db,
      );
      counts[table] = Number(rows[0]!.count);
    }
    return counts;
  }

  /** Runs `send`, and fails unless every table holds as many rows afterwards as before. */
  async function changingNothing<T>(send: () => Promise<T>): Promise<T> {
    const before = await rowCounts();
    const result = await send();
    expect(await rowCounts()).toEqual(before);
    return result;
  }

  const raw = (contentType: string | null, payload: string) =>
    changingNothing(() =>
      api.request({
        method: 'POST',
        url: '/graphql',
        headers: { cookie: lead, ...(contentType ? { 'content-type': contentType } : {}) },
        payload,
      }),
    );
  const messageOf = (response: RawResponse) => response.body;

  describe('at the HTTP level', () => {
    it('answers malformed JSON with 400 and says so', async () => {
      const response = await raw('application/json', '{"query": "mutation { signOut { signedOut } }"');
      expect(response.status).toBe(400);
      expect(messageOf(response)).toMatch(/not valid JSON/i);
    });

    it('answers an empty JSON body with 400', async () => {
      const response = await raw('application/json', '');
      expect(response.status).toBe(400);
      expect(messageOf(response)).toMatch(/empty/i);
    });

    it('answers a content type it does not read with 415, naming what it reads', async () => {
      const response = await raw('application/xml', '<query>{ viewer { role } }</query>');
      expect(response.status).toBe(415);
      expect(JSON.parse(messageOf(response))).toEqual({
        errors: [
          {
            message: 'Send the request body as application/json (GraphQL over HTTP), not application/xml.',
            extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' },
          },
        ],
      });
    });

    it('refuses variables nested deeper than any argument, by POST or GET, saying so and quoting none of them', async () => {
      // School 2's student id in school 1's request: what the refusal audit reads every value sent to find.
      const otherSchoolsId = toGlobalId('Student', { schoolId: 2, id: 1 });
      const deep = (levels: number) => `${'['.repeat(levels)}"${otherSchoolsId}"${']'.repeat(levels)}`;
      const refused = {
        errors: [
          {
            message: `Variables nest more than ${LIMITS.maxVariableNesting} levels of lists and input objects deep; no argument takes more. Send each variable as its type is declared.`,
            extensions: { code: 'BAD_USER_INPUT' },
          },
        ],
      };
      for (const levels of [LIMITS.maxVariableNesting + 1, 5_000, 200_000]) {
        const response = await raw(
          'application/json',
          `{"query": "query ($v: [ID!]) { __typename }", "variables": {"v": ${deep(levels)}}}`,
        );
        expect(response.status).toBe(400);
        expect(JSON.parse(messageOf(response))).toEqual(refused);
      }
      const byGet = await changingNothing(() =>
        api.request({
          method: 'GET',
          url: `/graphql?query=${encodeURIComponent('query ($v: [ID!]) { __typename }')}&variables=${encodeURIComponent(`{"v": ${deep(2_000)}}`)}`,
          headers: { cookie: lead, 'apollo-require-preflight': 'true' },
        }),
      );
      expect(byGet.status).toBe(400);
      expect(JSON.parse(messageOf(byGet))).toEqual(refused);
      // At the limit, GraphQL itself answers: the list of lists is not an ID, and it says so.
      const atLimit = await raw(
        'application/json',
        `{"query": "query ($v: [ID!]!) { nodes(ids: $v) { id } }", "variables": {"v": ${'['.repeat(LIMITS.maxVariableNesting - 1)}"x"${']'.repeat(LIMITS.maxVariableNesting - 1)}}}`,
      );
      expect(atLimit.status).toBe(400);
      expect(JSON.parse(messageOf(atLimit)).errors[0].message).toBe(
        'Variable "$v" at "v[0]" is not valid: ID cannot represent value.',
      );
    });

    it('reads 60,000 ids in one list variable without running out of stack', async () => {
      const response = await raw(
        'application/json',
        JSON.stringify({
          query: 'query ($v: [ID!]!) { nodes(ids: $v) { id } }',
          variables: { v: Array(60_000).fill('x') },
        }),
      );
      expect(response.status).toBe(400);
      expect(messageOf(response)).toMatch(/100/);
    });

    it.each([
      ['null', /POST body/i],
      ['"a string"', /POST body/i],
      ['{}', /query/i],
      ['{"query": 42}', /query.*string/i],
      ['{"query": "{ viewer { role } }", "variables": [1]}', /variables/i],
      ['{"query": "{ viewer { role } }", "operationName": 7}', /operationName/i],
    ])('answers the body %s with 400 and what is wrong with it', async (payload, message) => {
      const response = await raw('application/json', payload);
      expect(response.status).toBe(400);
      expect(messageOf(response)).toMatch(message);
    });
  });

  describe('in arguments and variables', () => {
    const graphql = (query: string, variables: Record<string, unknown> = {}, as = lead) =>
      changingNothing(() => api.graphql(query, variables, as));
    const firstError = (response: { body: { errors?: { message: string }[] } }) =>
      response.body.errors?.[0]?.message ?? '';

    it('refuses a search longer than any name, on both engines alike, saying how long it may be', async () => {
      // SQLite's own limit on a LIKE pattern was an internal error, found by fuzzing.
      const response = await graphql(
        'query ($search: String) { students(filter: { search: $search }) { totalCount } }',
        {
          search: 'x'.repeat(60_000),
        },
      );
      expect(response.status).toBe(400);
      expect(firstError(response)).toBe(
        'filter.search takes at most 200 characters (got 60000), the longest a name can be.',
      );
      const longest = await graphql(
        'query ($search: String) { students(filter: { search: $search }) { totalCount } }',
        {
          search: 'x'.repeat(200),
        },
      );
      expect(longest.body).toEqual({ data: { students: { totalCount: 0 } } });
    });

    /** The first error's message, after checking that no part of the answer quotes `sent`. */
    const quotingNothing = (response: { body: unknown }, sent: string) => {
      expect(JSON.stringify(response.body)).not.toContain(sent);
      return firstError(response as { body: { errors?: { message: string }[] } });
    };

    it('refuses an unknown enum value, inline or in a variable, naming the enum but not the value', async () => {
      const inline = await graphql('{ cases(first: 1, filter: { status: [SLEEPING] }) { totalCount } }');
      expect(inline.status).toBe(400);
      expect(quotingNothing(inline, 'SLEEPING')).toBe('The value is not one of the enum "CaseStatus".');
      const variable = await graphql(
        'mutation ($input: ChangeCaseStatusInput!) { changeCaseStatus(input: $input) { userErrors { message } } }',
        { input: { id: caseId, expectedVersion: caseVersion, status: 'SLEEPING' } },
      );
      expect(variable.status).toBe(400);
      expect(quotingNothing(variable, 'SLEEPING')).toBe(
        'Variable "$input" at "input.status" is not valid: The value is not one of the enum "CaseStatus".',
      );
    });

    it('refuses an id that is not one, or is of the wrong type, naming the argument but not the id', async () => {
      const garbage = await graphql(
        'mutation ($input: AddCaseNoteInput!) { addCaseNote(input: $input) { userErrors { message } } }',
        { input: { caseId: 'jane.doe@example.org', body: 'A note that must not be written.' } },
      );
      expect(quotingNothing(garbage, 'jane.doe')).toBe(
        'input.caseId must be the id of an InterventionCase, as the API gave it.',
      );
      expect(garbage.status).toBe(400);
      const student = await api.graphql<{ students: { nodes: { id: string }[] } }>(
        '{ students(first: 1) { nodes { id } } }',
        {},
        lead,
      );
      const studentId = student.body.data!.students.nodes[0]!.id;
      const wrongType = await graphql(
        'mutation ($input: AddCaseNoteInput!) { addCaseNote(input: $input) { userErrors { message } } }',
        { input: { caseId: studentId, body: 'A note that must not be written.' } },
      );
      expect(quotingNothing(wrongType, studentId)).toBe(
        'input.caseId must be the id of an InterventionCase, as the API gave it.',
      );
    });

    it.each([
      ['2026-02-30', 'not a calendar day'],
      ['2026-00-10', 'month 0'],
      ['2026-1-5', 'not YYYY-MM-DD'],
      ['tomorrow', 'a word'],
    ])('refuses the date %s (%s), naming the field and the format but not the date', async (date) => {
      const response = await graphql(
        'mutation ($input: UpdateCaseInput!) { updateCase(input: $input) { userErrors { message } } }',
        { input: { id: caseId, expectedVersion: caseVersion, nextReviewAt: date } },
      );
      expect(response.status).toBe(400);
      expect(quotingNothing(response, date)).toBe(
        'Variable "$input" at "input.nextReviewAt" is not valid: Date must be a string holding a calendar date as YYYY-MM-DD.',
      );
      const inline = await graphql(
        `mutation { updateCase(input: { id: "${caseId}", expectedVersion: ${caseVersion}, nextReviewAt: "${date}" }) { userErrors { message } } }`,
      );
      expect(quotingNothing(inline, date)).toBe('Date must be a string holding a calendar date as YYYY-MM-DD.');
    });

    it('refuses a date-time that is not ISO 8601, naming the field and the format but not the value', async () => {
      const response = await graphql(
        'mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { userErrors { message } } }',
        { input: { name: 'x', scopes: ['STUDENTS_READ'], expiresAt: '31/12/2027' } },
      );
      expect(response.status).toBe(400);
      expect(quotingNothing(response, '31/12/2027')).toBe(
        'Variable "$input" at "input.expiresAt" is not valid: DateTime must be a string in ISO-8601 with a zone: YYYY-MM-DDThh:mm:ssZ, or an offset for Z.',
      );
    });

    it('quotes no literal of the document: a number where a password goes, a string where a colon goes', async () => {
      const number = await graphql(
        'mutation { signIn(input: { email: "a@b.c", password: 8675309 }) { userErrors { message } } }',
        {},
        '',
      );
      expect(quotingNothing(number, '8675309')).toBe('String cannot represent a non string value.');
      const syntax = await graphql(
        'mutation { signIn(input: { email: "a@b.c" password "hunter2-secret" }) { userErrors { message } } }',
        {},
        '',
      );
      expect(syntax.status).toBe(400);
      expect(quotingNothing(syntax, 'hunter2')).toBe('Syntax Error: Expected ":", found String.');
    });

    it.each(['', 'not-an-email', 'a@', '@school.org', `${'x'.repeat(250)}@school.org`])(
      'answers the e-mail address %j with a userError naming the field',
      async (email) => {
        const response = await graphql(
          'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { field message code } } }',
          { input: { email, password: 'whatever-it-is' } },
          '',
        );
        expect(response.status).toBe(200);
        expect((response.body.data as { signIn: unknown }).signIn).toEqual({
          userErrors: [
            {
              field: ['input', 'email'],
              code: 'INVALID',
              message: 'Enter your e-mail address, like name@school.org.',
            },
          ],
        });
      },
    );
  });

  describe('in batches', () => {
    const RECORD = `mutation ($input: RecordAttendanceInput!) {
      recordAttendance(input: $input) { recorded userErrors { field message code } } }`;
    const UPSERT = `mutation ($input: UpsertStudentsInput!) {
      upsertStudents(input: $input) { created updated userErrors { field message code } } }`;
    const asToken = (query: string, variables: Record<string, unknown>) =>
      changingNothing(() => api.graphqlWithToken(query, variables, token));

    it('refuses an oversize batch, saying how large a batch may be', async () => {
      const records = Array.from({ length: 1001 }, () => ({
        studentExternalId: externalId,
        date: '2026-11-02',
        status: 'PRESENT',
      }));
      const response = await asToken(RECORD, { input: { records } });
      expect(response.body.data).toEqual({
        recordAttendance: {
          recorded: 0,
          userErrors: [
            {
              field: ['input', 'records'],
              code: 'INVALID',
              message: 'records takes 1 to 1,000 records (got 1,001); send them in batches.',
            },
          ],
        },
      });
    });

    it('names the record and field of an unknown student or classroom, or a day to come, but not the value', async () => {
      /** The field and message of the payload's first userError, after checking the answer quotes nothing sent. */
      const firstUserError = (response: { body: { data?: unknown } }, sent: string) => {
        expect(JSON.stringify(response.body)).not.toContain(sent);
        const [payload] = Object.values(response.body.data as Record<string, { userErrors: UserError[] }>);
        const { field, message } = payload!.userErrors[0]!;
        return { field, message };
      };
      const attendance = (record: Record<string, unknown>) =>
        asToken(RECORD, { input: { records: [{ status: 'PRESENT', ...record }] } });
      expect(
        firstUserError(await attendance({ studentExternalId: 'JANE-DOE-1987', date: '2026-11-02' }), 'JANE-DOE'),
      ).toEqual({
        field: ['input', 'records', '0', 'studentExternalId'],
        message: 'No student of this school has this external id.',
      });
      expect(firstUserError(await attendance({ studentExternalId: externalId, date: '2999-01-01' }), '2999')).toEqual({
        field: ['input', 'records', '0', 'date'],
        message: 'date is in the future; record days that have happened.',
      });
      const classroom = await asToken(UPSERT, {
        input: {
          records: [{ externalId: 'NEW-3', givenName: 'Cy', familyName: 'Example', classroomName: 'Room of Jane Doe' }],
        },
      });
      expect(firstUserError(classroom, 'Jane Doe')).toEqual({
        field: ['input', 'records', '0', 'classroomName'],
        message: 'No classroom of this school has this name.',
      });
    });

    it('refuses a batch whole when one record is bad, naming it by index', async () => {
      const response = await asToken(RECORD, {
        input: {
          records: [
            { studentExternalId: externalId, date: '2026-11-02', status: 'PRESENT' },
            { studentExternalId: externalId, date: '2026-11-03', status: 'PRESENT' },
            { studentExternalId: 'NOBODY', date: '2026-11-04', status: 'PRESENT' },
          ],
        },
      });
      expect(response.body.data).toMatchObject({
        recordAttendance: { recorded: 0, userErrors: [{ field: ['input', 'records', '2', 'studentExternalId'] }] },
      });
    });

    it('refuses a roster batch with one impossible birth date whole, naming the record and field', async () => {
      const response = await asToken(UPSERT, {
        input: {
          records: [
            {
              externalId: 'NEW-1',
              givenName: 'Ada',
              familyName: 'Example',
              classroomName: 'S01-7A',
              dateOfBirth: '2014-03-01',
            },
            {
              externalId: 'NEW-2',
              givenName: 'Bo',
              familyName: 'Example',
              classroomName: 'S01-7A',
              dateOfBirth: '2014-02-30',
            },
          ],
        },
      });
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.message).toMatch(
        /^Variable "\$input" at "input\.records\[1\]\.dateOfBirth" is not valid: .*YYYY-MM-DD/,
      );
    });
  });
});
