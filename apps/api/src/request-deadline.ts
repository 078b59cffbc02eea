/**
 * A deadline for each request. Statements that would start after it are not sent; statements already running
 * are stopped by the server at the same limit (createDb's statementTimeoutMs). Either way the request ends
 * with a 503 the client may retry, and no database work outlives it.
 */
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

export class RequestDeadlineError extends Error {
  override name = 'RequestDeadlineError';
}

export class DeadlinePlugin implements KyselyPlugin {
  constructor(
    private readonly deadline: number,
    private readonly timeoutMs: number,
  ) {}

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (Date.now() > this.deadline) {
      throw new RequestDeadlineError(
        `The request ran past its ${this.timeoutMs} ms deadline and was stopped; ask for less at once, or retry.`,
      );
    }
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
