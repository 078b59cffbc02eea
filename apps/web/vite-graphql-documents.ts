/**
 * Each GraphQL document in the chunk of the code that uses it, instead of codegen's map of every document
 * (src/gql/gql.ts), which came whole with the app's first load: the other pages' documents, 70 kB of
 * JavaScript to parse and evaluate before the first page could render. This is what the client preset's Babel
 * plugin does, which this build, without Babel, cannot run: each `graphql(`...`)` call becomes an import of a module
 * of its own that holds that one document, the very object the call would have returned at run time.
 */
import type { DocumentNode } from 'graphql';
import type { Plugin } from 'vite';
import { graphql } from './src/gql/index.ts';

/** The calls codegen reads its documents from (scripts/codegen.mjs): the same pattern finds the same ones. */
const GRAPHQL_CALL = /graphql\(\s*`([\s\S]*?)`\s*\)/g;
const DOCUMENT_MODULE = 'virtual:pastoral-graphql-document/';
/** Where codegen's own output is: its map is what is replaced, not a user of it. */
const GENERATED = /[\\/]src[\\/]gql[\\/]/;

export function graphqlDocumentsApart(): Plugin {
  /** The documents by the name of their first definition, which is unique (codegen fails otherwise). */
  const documents = new Map<string, DocumentNode>();
  return {
    name: 'pastoral:graphql-documents-apart',
    apply: 'build',
    transform: {
      filter: { id: /[\\/]src[\\/].*\.tsx?$/, code: 'graphql(`' },
      handler(code, id) {
        if (GENERATED.test(id)) return null;
        const imports: string[] = [];
        const replaced = code.replace(GRAPHQL_CALL, (_call, source: string) => {
          const document = graphql(source) as Partial<DocumentNode>;
          const first = document.definitions?.[0];
          const name = first && 'name' in first ? first.name?.value : undefined;
          if (name === undefined) this.error(`a graphql() document in ${id} is not in src/gql: run \`pnpm codegen\``);
          documents.set(name, document as DocumentNode);
          const local = `graphqlDocument_${name}`;
          imports.push(`import ${local} from '${DOCUMENT_MODULE}${name}';`);
          return local;
        });
        return { code: `${imports.join('\n')}\n${replaced}`, map: null };
      },
    },
    resolveId(id) {
      return id.startsWith(DOCUMENT_MODULE) ? `\0${id}` : null;
    },
    load(id) {
      if (!id.startsWith(`\0${DOCUMENT_MODULE}`)) return null;
      const document = documents.get(id.slice(DOCUMENT_MODULE.length + 1));
      if (document === undefined) this.error(`no GraphQL document for ${id}`);
      return `export default ${JSON.stringify(document)};`;
    },
  };
}
