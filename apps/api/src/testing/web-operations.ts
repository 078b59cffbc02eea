/** The web app's operations by name, printed exactly as it sends them (its generated documents in apps/web/src/gql). */
import { type DocumentNode, Kind, type OperationDefinitionNode, print } from 'graphql';
import * as webDocuments from '../../../web/src/gql/graphql.ts';

export const WEB_OPERATIONS: ReadonlyMap<string, string> = new Map(
  Object.values(webDocuments)
    .filter((value): value is DocumentNode => typeof value === 'object' && value !== null && 'definitions' in value)
    .flatMap((document) => {
      // Fragment documents travel inside the operations that spread them.
      const operation = document.definitions.find(
        (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
      );
      return operation?.name ? [[operation.name.value, print(document)] as const] : [];
    }),
);

/** The web app's operation `name`; throws if it has none of that name. */
export function webOperation(name: string): string {
  const query = WEB_OPERATIONS.get(name);
  if (!query) throw new Error(`the web app has no operation ${name}`);
  return query;
}
