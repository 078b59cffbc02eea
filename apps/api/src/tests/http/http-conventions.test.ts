/**
 * HTTP conventions on every engine: the Bearer scheme, 401 with WWW-Authenticate, methods and their answers,
 * and request ids kept in the answer and the audit log.
 */
import { connect, type AddressInfo } from 'node:net';
import { testEngines } from '@pastoral/db/testing';
import { type Logger, pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { buildServer } from '../../server.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';

describe.each(testEngines())('HTTP conventions on $name', (engine) => {
  let api: ApiHarness;
  let token: string;
  beforeAll(async () => {
    // As clients meet it: no stack traces in the errors.
    api = await startApiHarness(engine, { environment: { NODE_ENV: 'production' } });
    const admin = await api.signIn('school.admin@s01.pastoral.example');
    const created = await api.graphql<{ createApiToken: { token: string } }>(
      'mutation { createApiToken(input: { name: "Conventions", scopes: [STUDENTS_READ] }) { token } }',
      {},
      admin,
    );
    token = created.body.data!.createApiToken.token;
  });
  afterAll(() => api.close());

  const post = (payload: string, headers: Record<string, string> = {}) =>
    api.request({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', ...headers },
      payload,
    });
  const STUDENTS = JSON.stringify({ query: '{ students(first: 1) { totalCount } }' });

  it('reads the Bearer scheme in any case, as RFC 9110 has it', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const response = await post(STUDENTS, { authorization: `${scheme}  ${token}` });
      expect({ scheme, status: response.status }).toEqual({ scheme, status: 200 });
      expect(JSON.parse(response.body)).toEqual({ data: { students: { totalCount: expect.any(Number) } } });
    }
  });

  it("answers 401 with RFC 6750's WWW-Authenticate: invalid_token for a refused token, the scheme alone without one", async () => {
    const unknown = await post(STUDENTS, { authorization: `bearer pst_${'A'.repeat(43)}` });
    const empty = await post(STUDENTS, { authorization: 'Bearer' });
    const anonymous = await post(STUDENTS);
    const challenges = [unknown, empty, anonymous].map((response) => ({
      status: response.status,
      challenge: response.headers['www-authenticate'],
      body: JSON.parse(response.body) as unknown,
    }));
    const message = (text: string) => [{ message: text, extensions: { code: 'UNAUTHENTICATED' } }];
    expect(challenges).toEqual([
      {
        status: 401,
        challenge:
          'Bearer error="invalid_token", error_description="The API token is not valid: it is unknown, revoked or expired."',
        body: { errors: message('The API token is not valid: it is unknown, revoked or expired.') },
      },
      {
        status: 401,
        challenge:
          'Bearer error="invalid_token", error_description="The Authorization header names the Bearer scheme but no token; send Bearer and the token."',
        body: {
          errors: message('The Authorization header names the Bearer scheme but no token; send Bearer and the token.'),
        },
      },
      {
        status: 401,
        challenge: 'Bearer',
        body: {
          data: null,
          errors: [
            {
              ...message('Sign in first: this field needs a signed-in user.')[0],
              locations: [{ line: 1, column: 3 }],
              path: ['students'],
            },
          ],
        },
      },
    ]);
  });

  it.each([
    [
      'a body over 1 MiB',
      () => post(JSON.stringify({ query: `{ viewer { role } } # ${'x'.repeat(1024 * 1024)}` })),
      413,
      'PAYLOAD_TOO_LARGE',
      'The request body is larger than 1024 KiB; send a smaller document or fewer records per request.',
    ],
    [
      'a content type it does not read',
      () => post('<query/>', { 'content-type': 'application/xml' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the request body as application/json (GraphQL over HTTP), not application/xml.',
    ],
    [
      'a body that is not JSON',
      () => post('{"query": "{ viewer { role } }", "variables": {"password": "hunter2'),
      400,
      'BAD_REQUEST',
      'The request body is not valid JSON; send a JSON object such as {"query": "{ viewer { role } }"}.',
    ],
    [
      'an empty body',
      () => post(''),
      400,
      'BAD_REQUEST',
      'The request body is empty; send a JSON object such as {"query": "{ viewer { role } }"}.',
    ],
    [
      'a method /graphql does not take',
      () =>
        api.request({
          method: 'PUT',
          url: '/graphql',
          headers: { 'content-type': 'application/json' },
          payload: STUDENTS,
        }),
      405,
      'METHOD_NOT_ALLOWED',
      '/graphql takes GET, POST, OPTIONS, not PUT: send queries with GET or POST, mutations with POST.',
    ],
  ])('refuses %s with a GraphQL error and its status', async (_name, send, status, code, message) => {
    const response = await send();
    expect({
      status: response.status,
      type: response.headers['content-type'],
      body: JSON.parse(response.body),
    }).toEqual({
      status,
      type: 'application/json; charset=utf-8',
      body: { errors: [{ message, extensions: { code } }] },
    });
    if (status === 405) expect(response.headers.allow).toBe('GET, POST, OPTIONS');
    expect(response.statements).toEqual([]);
  });
});

describe.each(testEngines())('request ids on $name', (engine) => {
  let api: ApiHarness;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let port: number;
  /** Every line the server logs, at the most talkative level. */
  const logged: string[] = [];
  const SIGN_IN = JSON.stringify({
    query:
      'mutation { signIn(input: { email: "form.master@s01.pastoral.example", password: "pastoral-demo" }) { userErrors { message } } }',
  });

  beforeAll(async () => {
    api = await startApiHarness(engine);
    const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'trace' });
    const logger = pino({ level: 'trace' }, { write: (line: string) => void logged.push(line) }) as Logger;
    app = await buildServer({ config, database: api.database.handle, logger });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
    await api.close();
  });

  /** A sign-in over a socket, with these header lines written as given: a client may send any bytes. */
  function signInWith(headerLines: string[]): Promise<{ status: number; requestId: string | undefined }> {
    return new Promise((resolve, reject) => {
      let answer = '';
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          [
            'POST /graphql HTTP/1.1',
            'Host: 127.0.0.1',
            'Content-Type: application/json',
            `Content-Length: ${Buffer.byteLength(SIGN_IN)}`,
            'Connection: close',
            ...headerLines,
            '',
            SIGN_IN,
          ].join('\r\n'),
          'latin1',
        );
      });
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () =>
        resolve({
          status: Number(answer.split(' ')[1]),
          requestId: /^x-request-id: (.*)$/im.exec(answer)?.[1]?.trim(),
        }),
      );
    });
  }

  /** The request ids of the sign-ins the audit log holds. */
  const auditedRequestIds = async () =>
    (
      await api.database.handle.db
        .selectFrom('audit_log')
        .select('request_id')
        .where('action', '=', 'session.signed_in')
        .execute()
    ).map((row) => row.request_id);

  it('keeps a well-formed X-Request-Id, in the answer and the audit log', async () => {
    const answer = await signInWith(['X-Request-Id: trace-1234-abcd']);
    expect(answer).toEqual({ status: 200, requestId: 'trace-1234-abcd' });
    expect(await auditedRequestIds()).toContain('trace-1234-abcd');
  });

  it.each([
    ['too long', [`X-Request-Id: ${'a'.repeat(65)}`], 'a'.repeat(65)],
    ['with spaces', ['X-Request-Id: abc def ghi jkl'], 'abc def ghi jkl'],
    ['with letters beyond ASCII', ['X-Request-Id: \u00f1and\u00fa-12345678'], 'and\u00fa-12345678'],
    ['an e-mail address', ['X-Request-Id: jane.doe@example.org'], 'jane.doe@example.org'],
    ['sent twice', ['X-Request-Id: first-1234-abcd', 'X-Request-Id: second-5678-efgh'], 'first-1234-abcd'],
  ])(
    'replaces an X-Request-Id %s with a fresh one, in the answer, the audit log and the logs',
    async (_name, header, sent) => {
      const before = logged.length;
      const answer = await signInWith(header);
      expect(answer.status).toBe(200);
      expect(answer.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const audited = await auditedRequestIds();
      expect(audited).toContain(answer.requestId);
      expect(audited.filter((id) => id?.includes(sent.slice(0, 12)))).toEqual([]);
      const lines = logged.slice(before);
      expect(lines.some((line) => line.includes(answer.requestId!))).toBe(true);
      expect(lines.filter((line) => line.includes(sent.slice(0, 12)))).toEqual([]);
    },
  );

  it.each([
    ['a carriage return', 'X-Request-Id: abc\rdef-12345678'],
    ['a line feed that would start a header of its own', 'X-Request-Id: abcd-12345678\nX-Injected: yes'],
  ])('refuses a request whose X-Request-Id holds %s before it reaches the API', async (_name, header) => {
    const audited = (await auditedRequestIds()).length;
    const before = logged.length;
    expect((await signInWith([header])).status).toBe(400);
    expect((await auditedRequestIds()).length).toBe(audited);
    expect(logged.slice(before).filter((line) => /12345678|Injected/.test(line))).toEqual([]);
  });
});
