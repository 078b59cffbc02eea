/**
 * Errors the API throws on purpose. Expected failures of mutations are `userErrors` in the payload; these are
 * for requests that cannot be answered as asked. Each carries the HTTP status Apollo answers with. A malformed
 * request's 400 (badInput) is thrown below the GraphQL layer too, and lives in ../errors.ts.
 */
import { GraphQLError } from 'graphql';

/**
 * RFC 6750's challenge for a 401: the scheme alone for a request that sent no credential, and the
 * invalid_token error with its description for one whose token was refused. The description is a quoted
 * string, which may hold neither a double quote nor a backslash.
 */
export function bearerChallenge(invalidTokenDescription: string | null): string {
  if (invalidTokenDescription === null) return 'Bearer';
  return `Bearer error="invalid_token", error_description="${invalidTokenDescription.replace(/["\\]/g, "'")}"`;
}

/** The request needs a signed-in user: 401. */
export function unauthenticated(): GraphQLError {
  return new GraphQLError('Sign in first: this field needs a signed-in user.', {
    extensions: {
      code: 'UNAUTHENTICATED',
      http: { status: 401, headers: new Map([['www-authenticate', bearerChallenge(null)]]) },
    },
  });
}

/** Signed in (or holding a token), but not allowed this: 403. */
export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
}

/**
 * An API token without the scopes a request needs: 403 with RFC 6750's insufficient_scope challenge, naming
 * the scopes that would do.
 */
export function insufficientScope(message: string, scopes: readonly string[]): GraphQLError {
  const challenge = `Bearer error="insufficient_scope", scope="${scopes.join(' ')}", error_description="${message.replace(/["\\]/g, "'")}"`;
  return new GraphQLError(message, {
    extensions: { code: 'FORBIDDEN', http: { status: 403, headers: new Map([['www-authenticate', challenge]]) } },
  });
}

/** The credential sent is not valid: 401, so the client stops sending it. */
export function invalidCredential(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: 'UNAUTHENTICATED',
      http: { status: 401, headers: new Map([['www-authenticate', bearerChallenge(message)]]) },
    },
  });
}

const INVALID_VARIABLE = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" got invalid value /;

/**
 * GraphQL's message for a variable it cannot coerce quotes the value: for `{ email, password, extra }` sent to
 * signIn, the password. This says the same without any value: which variable, where in it, and why (a scalar's
 * reason, which quotes the value too, without it). Null for any other message.
 */
export function withoutVariableValue(message: string, reason: string | undefined): string | null {
  const variable = INVALID_VARIABLE.exec(message);
  if (!variable) return null;
  if (!reason || !message.endsWith(`; ${reason}`)) {
    return `Variable "$${variable[1]}" has a value of the wrong type or shape for its declared type.`;
  }
  const head = message.slice(0, -(reason.length + 2));
  const path = / at "([^"]*)"$/.exec(head)?.[1];
  return `Variable "$${variable[1]}"${path ? ` at "${path}"` : ''} is not valid: ${withoutQuotedValue(reason)}`;
}

/** A token's value as the parser quotes it; not escaped, so it runs to the quote that ends the message. */
const TOKEN = '(Name|String|BlockString|Int|Float) "[\\s\\S]*"';

/**
 * graphql-js's messages that quote a value the client wrote, in a variable or in the document, each with what
 * to say instead: the same, less the value. A literal the document gets wrong is found by its location.
 */
const QUOTING: [RegExp, string][] = [
  // Scalars' and enums' coercion: "Int cannot represent non-integer value: 1.5", "String cannot represent a non
  // string value: 12345" (a password, say), 'Enum "CaseStatus" cannot represent non-enum value: "x".'
  [/^(.*? cannot represent [^:]*): [\s\S]*$/, '$1.'],
  // 'Value "SLEEPING" does not exist in "CaseStatus" enum.', and any suggestion after it (the schema's words).
  [/^Value "[\s\S]*" does not exist in "([^"]+)" enum\.([\s\S]*)$/, 'The value is not one of the enum "$1".$2'],
  // 'Expected value of type "Int!", found "a string".', a literal of the wrong kind.
  [/^Expected value of type "([^"]+)", found [\s\S]*$/, 'Expected a value of type "$1".'],
  // The parser's: 'Expected ":", found String "hunter2".', 'Unexpected Int "12".'
  [new RegExp(`^(Syntax Error: Expected [^,]*, found) ${TOKEN}\\.$`), '$1 $2.'],
  [new RegExp(`^(Syntax Error: Unexpected) ${TOKEN}\\.$`), '$1 $2.'],
  // The lexer's, each quoting a character or an escape sequence of the document.
  [
    /^(Syntax Error: (?:Unexpected character|Invalid character within String|Invalid number, unexpected digit after 0|Invalid number, expected digit but got|Invalid Unicode escape sequence|Invalid character escape sequence)): [\s\S]*$/,
    '$1.',
  ],
];

/** A message of graphql-js's without the value it quotes; the message itself when it quotes none. */
export function withoutQuotedValue(message: string): string {
  for (const [pattern, replacement] of QUOTING) if (pattern.test(message)) return message.replace(pattern, replacement);
  return message;
}
