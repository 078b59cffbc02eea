/**
 * A deadline for each request. Statements that would start after it are not sent; statements already running
 * are stopped by the server at the same limit (createDb's statementTimeoutMs), and a statement the server never
 * answers (a stalled network) is given up at the client when the request's time is up (`timeLeftInRequest`).
 * Either way the request ends with a 503 the client may retry, and no database work outlives it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

const requestDeadlines = new AsyncLocalStorage<number>();

/** Runs `handle` with a deadline `timeoutMs` from now, seen by every statement it sends, however deep. */
export function withRequestDeadline<T>(timeoutMs: number, handle: () => T): T {
  return requestDeadlines.run(Date.now() + timeoutMs, handle);
}

/** The current request's deadline (ms since the epoch); undefined outside a request. */
export function requestDeadline(): number | undefined {
  return requestDeadlines.getStore();
}

/**
 * The milliseconds left to the current request; undefined outside a request (migrations, jobs), which have no
 * deadline. A statement still unanswered then is given up at the client, whether the server is slow or the link
 * is dead: the server's own timeout, counted from the statement's start, would come later.
 */
export function timeLeftInRequest(): number | undefined {
  const deadline = requestDeadlines.getStore();
  return deadline === undefined ? undefined : Math.max(1, deadline - Date.now());
}

export class RequestDeadlineError extends Error {
  override name = 'RequestDeadlineError';
}

/**
 * The SQL statements a request may send. A query nesting lists in lists can fan out into thousands of
 * statements within the node limit (each nested connection is a page and a count per parent); the budget stops
 * it at a bound no page comes near, before it holds the pool for everyone else. Unlimited until the request
 * turns out to be a query: a mutation's batch of 1,000 records may need more.
 */
export class StatementBudget {
  limit = Number.POSITIVE_INFINITY;
  used = 0;
}

export class StatementBudgetError extends Error {
  override name = 'StatementBudgetError';
}

export class DeadlinePlugin implements KyselyPlugin {
  constructor(
    private readonly deadline: number,
    private readonly timeoutMs: number,
    private readonly budget?: StatementBudget,
  ) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (Date.now() > this.deadline) {
      throw new RequestDeadlineError(
        `The request ran past its ${this.timeoutMs} ms deadline and was stopped; ask for less at once, or retry.`,
      );
    }
    if (this.budget && ++this.budget.used > this.budget.limit) {
      throw new StatementBudgetError(
        `The query needs more than ${this.budget.limit} database statements; ask for fewer lists nested in lists, or smaller pages, at once.`,
      );
    }
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
