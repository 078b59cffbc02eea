/** The limits every request is held to, with the reasoning behind each figure. */
export const LIMITS = {
  /**
   * Fields nested in fields. A real Relay query, a case list down to each student's risk and alerts
   * (`cases { edges { node { student { riskProfile { reasons } alerts { edges { node { id } } } } } } }`), is
   * 8 deep; 12 leaves room for a page that needs a little more and refuses the
   * `student { cases { nodes { student { ... } } } }` recursions that only an attacker writes.
   */
  maxDepth: 12,
  /** Aliased fields per operation: enough to ask for one field under a few names, not to batch a mutation. */
  maxAliases: 15,
  /**
   * Lexical tokens per document, counted by the parser before anything else (Apollo's `parseOptions`), so a
   * huge document is refused before it is held as a tree. The standard introspection query is 163 tokens.
   */
  maxTokens: 5000,
  /**
   * GitHub's node limit (the most objects one query could return, page sizes multiplied through nested
   * connections) is 500,000; ours is 50,000 because a page is at most 100, and two full levels of nesting
   * (100 + 100 × 100 = 10,100) is already more than any screen shows.
   */
  maxNodes: 50_000,
  /**
   * Top-level fields per operation, each one a resolver and most a query of its own. A page asks for a handful;
   * 20 refuses a thousand root fields, and with maxAliases keeps signIn attempts batched in one request few.
   */
  maxRootFields: 20,
  /**
   * SQL statements one query may send. The web app's pages send at most 12 (statement-counts.test.ts); lists
   * nested in lists within the node limit could send thousands, holding the pool while they do.
   */
  maxStatementsPerQuery: 200,
  /**
   * Fields a document asks for, as its operations would run them: a fragment counts wherever it is spread (and a
   * fragment no operation spreads, once). The web app's largest page asks for 38 and the standard introspection
   * query for 230; a document at the token limit can hold 2,500, and fragments spread into fragments multiply
   * that without end. graphql-js validates about 3 µs a field, so this keeps validation near 1.5 ms at most.
   * This and the two below are measured before validation (measureDocumentShape), in a walk linear in the
   * document.
   */
  maxFields: 500,
  /**
   * Fields one selection set merges: its own, its inline fragments' and those of the fragments it spreads. Each
   * is a resolver per object; the web app's widest merges 15.
   */
  maxFieldsPerSelection: 100,
  /**
   * Fields that repeat a response name already asked for in their selection set (fragments included), each
   * counted with every field under it. GraphQL merges them, so they add nothing to the answer, but validation
   * compares every pair of them, and of the fields under them, to prove they can merge: 300 copies of
   * `user { email }` under `viewer` cost 0.1 s of CPU, as much as a few hundred ordinary requests. Each web
   * component's fragment names the fields it shows, so a page's fragments repeat `id` and the like (the case
   * page 9, the most); 50 leaves room for that, and keeps validation's comparisons to about 50 x 50.
   */
  maxRepeatedFields: 50,
  /**
   * Levels of lists and input objects in one variable's value. The deepest argument the schema takes nests 3
   * (limits.variable-nesting.test.ts measures it); the body limit would let a request nest a million, which only an attacker
   * sends, and which code reading every value sent must not have to follow (variable-nesting.ts).
   */
  maxVariableNesting: 16,
} as const;
