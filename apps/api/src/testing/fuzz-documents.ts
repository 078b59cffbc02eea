/**
 * A generated GraphQL operation as a tree (fuzz-operations.ts builds it), how its types are told apart, and how
 * it is written out: the document, with values inline or as variables in JSON.
 */
import type { GraphQLNamedType, GraphQLObjectType, GraphQLSchema, GraphQLType } from 'graphql';

// ---- The generated operation, before it is written out -----------------------------------------------------

export type InputValue =
  | { kind: 'null' }
  | { kind: 'number'; value: number }
  /** A number written exactly as given (1e400, -0.0, 1.5), in the document and in the variables' JSON alike. */
  | { kind: 'raw'; text: string }
  | { kind: 'string'; value: string; block: boolean }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'enum'; value: string }
  | { kind: 'list'; items: InputValue[] }
  | { kind: 'object'; fields: { name: string; value: InputValue }[] };

/** How an argument's value travels: in the document, or as a variable, perhaps declared with the wrong type. */
export type Passing = { as: 'inline' } | { as: 'variable'; declaredType: string | null; omitted: boolean };

export interface ArgumentNode {
  name: string;
  value: InputValue;
  passing: Passing;
}

export interface DirectiveNode {
  name: string;
  argument: ArgumentNode | null;
}

export type SelectionNode =
  | {
      kind: 'field';
      alias: string | null;
      name: string;
      arguments: ArgumentNode[];
      directive: DirectiveNode | null;
      selection: SelectionNode[] | null;
    }
  | { kind: 'inline'; on: string | null; selection: SelectionNode[] }
  | { kind: 'spread'; on: string; selection: SelectionNode[] };

export interface OperationNode {
  type: 'query' | 'mutation' | 'subscription';
  name: string | null;
  selection: SelectionNode[];
}

// ---- Telling types apart -----------------------------------------------------------------------------------

type TypeKind =
  | 'GraphQLObjectType'
  | 'GraphQLInterfaceType'
  | 'GraphQLUnionType'
  | 'GraphQLEnumType'
  | 'GraphQLInputObjectType'
  | 'GraphQLScalarType'
  | 'GraphQLList'
  | 'GraphQLNonNull';

export const kindOf = (type: GraphQLType): TypeKind => Object.prototype.toString.call(type).slice(8, -1) as TypeKind;

export function namedTypeOf(type: GraphQLType): GraphQLNamedType {
  let named = type;
  while ('ofType' in named) named = named.ofType;
  return named;
}

export const isLeaf = (type: GraphQLType) =>
  ['GraphQLScalarType', 'GraphQLEnumType'].includes(kindOf(namedTypeOf(type)));

// ---- Writing it out -----------------------------------------------------------------------------------------

function writeLiteral(value: InputValue): string {
  switch (value.kind) {
    case 'null':
      return 'null';
    case 'number':
      return Number.isFinite(value.value) ? String(value.value) : 'null';
    case 'raw':
      return value.text;
    case 'string':
      return value.block && fitsBlockString(value.value)
        ? `"""${value.value.replaceAll('"""', '\\"""')}"""`
        : JSON.stringify(value.value);
    case 'boolean':
      return String(value.value);
    case 'enum':
      return /^[_A-Za-z][_0-9A-Za-z]*$/.test(value.value) ? value.value : JSON.stringify(value.value);
    case 'list':
      return `[${value.items.map(writeLiteral).join(', ')}]`;
    case 'object':
      return `{ ${value.fields.map((field) => `${field.name}: ${writeLiteral(field.value)}`).join(', ')} }`;
  }
}

/**
 * Whether a string can be written as a block string and read back the same (but for the indentation a block
 * string drops): no backslash, which could escape the closing quotes, and no control character but whitespace.
 */
function fitsBlockString(value: string): boolean {
  return (
    !value.includes('\\') && [...value].every((char) => char >= ' ' || char === '\t' || char === '\n' || char === '\r')
  );
}

/** The variable's value as JSON text, written by hand so that a raw number such as 1e400 goes out as it is. */
function writeJson(value: InputValue): string {
  switch (value.kind) {
    case 'null':
      return 'null';
    case 'number':
      return Number.isFinite(value.value) ? String(value.value) : 'null';
    case 'raw':
      return value.text === '-0' || /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value.text)
        ? value.text
        : JSON.stringify(value.text);
    case 'string':
    case 'enum':
      return JSON.stringify(value.value);
    case 'boolean':
      return String(value.value);
    case 'list':
      return `[${value.items.map(writeJson).join(',')}]`;
    case 'object':
      return `{${value.fields.map((field) => `${JSON.stringify(field.name)}:${writeJson(field.value)}`).join(',')}}`;
  }
}

export interface WrittenRequest {
  query: string;
  /** The variables object as JSON text; undefined when the operation declares none. */
  variables: string | undefined;
  operationName?: string | undefined;
}

export function writeDocument(operations: OperationNode[], argumentTypes: Map<string, string>): WrittenRequest {
  const fragments: string[] = [];
  const variableValues: string[] = [];
  let counter = 0;

  function writeArgument(argument: ArgumentNode, definitions: string[], declaredType: string): string {
    if (argument.passing.as === 'inline') return `${argument.name}: ${writeLiteral(argument.value)}`;
    counter += 1;
    const variable = `v${counter}`;
    definitions.push(`$${variable}: ${argument.passing.declaredType ?? declaredType}`);
    if (!argument.passing.omitted) variableValues.push(`${JSON.stringify(variable)}:${writeJson(argument.value)}`);
    return `${argument.name}: $${variable}`;
  }

  function writeSelection(selection: SelectionNode[], definitions: string[], types: Map<string, string>): string {
    const responseNames = new Set<string>();
    const written = selection.map((node) => {
      if (node.kind === 'inline') {
        return `... ${node.on ? `on ${node.on} ` : ''}{ ${writeSelection(node.selection, definitions, types)} }`;
      }
      if (node.kind === 'spread') {
        const name = `F${fragments.length + 1}`;
        fragments.push('');
        const index = fragments.length - 1;
        fragments[index] = `fragment ${name} on ${node.on} { ${writeSelection(node.selection, definitions, types)} }`;
        return `...${name}`;
      }
      // Two fields with one response name must agree; an alias keeps the document valid.
      let alias = node.alias;
      let responseName = alias ?? node.name;
      if (responseNames.has(responseName)) {
        alias = `${node.name}_${responseNames.size}`;
        responseName = alias;
      }
      responseNames.add(responseName);
      const args = node.arguments.map((argument) =>
        writeArgument(argument, definitions, types.get(`${node.name}.${argument.name}`) ?? 'String'),
      );
      const directiveArgument = node.directive?.argument
        ? `(${writeArgument(node.directive.argument, definitions, 'Boolean!')})`
        : '';
      const directive = node.directive ? ` @${node.directive.name}${directiveArgument}` : '';
      const below = node.selection ? ` { ${writeSelection(node.selection, definitions, types)} }` : '';
      const argumentList = args.length > 0 ? `(${args.join(', ')})` : '';
      return `${alias ? `${alias}: ` : ''}${node.name}${argumentList}${directive}${below}`;
    });
    return written.join(' ');
  }

  const written = operations.map((operation) => {
    const definitions: string[] = [];
    const body = writeSelection(operation.selection, definitions, argumentTypes);
    const header = [operation.type, operation.name, definitions.length > 0 ? `(${definitions.join(', ')})` : null]
      .filter((part) => part !== null)
      .join(' ');
    return `${header} { ${body} }`;
  });
  return {
    query: [...written, ...fragments].join('\n'),
    variables: variableValues.length > 0 ? `{${variableValues.join(',')}}` : undefined,
  };
}

/** The declared type of every field's arguments (`students.first`: `Int`), which variables are declared with. */
export function argumentTypesOf(schema: GraphQLSchema): Map<string, string> {
  const argumentTypes = new Map<string, string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!['GraphQLObjectType', 'GraphQLInterfaceType'].includes(kindOf(type))) continue;
    for (const field of Object.values((type as GraphQLObjectType).getFields())) {
      for (const argument of field.args) argumentTypes.set(`${field.name}.${argument.name}`, String(argument.type));
    }
  }
  return argumentTypes;
}
