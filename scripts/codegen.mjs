// `pnpm codegen`: generates the GraphQL resolver types from the schema's SDL files;
// `pnpm codegen --check` fails when a generated file differs from what is committed, so generated code never
// drifts (CI runs the check through `pnpm test`).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codegen } from '@graphql-codegen/core';
import { preset as clientPreset } from '@graphql-codegen/client-preset';
import * as typescriptPlugin from '@graphql-codegen/typescript';
import * as resolversPlugin from '@graphql-codegen/typescript-resolvers';
import { buildASTSchema, concatAST, parse, printSchema } from 'graphql';
import * as prettier from 'prettier';

const root = fileURLToPath(new URL('../', import.meta.url));
const apiSource = join(root, 'apps/api/src');

/** Every .graphql file under a folder, in a stable order. */
function sdlFiles(folder) {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.graphql'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const document = concatAST(sdlFiles(apiSource).map((file) => parse(readFileSync(file, 'utf8'))));
const schema = buildASTSchema(document);

const outputs = [
  {
    file: join(apiSource, 'graphql/resolvers-types.generated.ts'),
    plugins: [{ typescript: {} }, { typescriptResolvers: {} }],
    config: {
      useTypeImports: true,
      enumsAsTypes: true,
      avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
      maybeValue: 'T | null',
      inputMaybeValue: 'T | null | undefined',
      scalars: { DateTime: 'string', Date: 'string', ID: 'string' },
      contextType: '../context.ts#GraphQLContext',
      // Each module's mapper types live in its `<module>.mappers.ts` (hive's module.graphql.mappers.ts), which
      // imports nothing that imports this generated file: no import circle through it.
      mappers: {
        Viewer: '../modules/auth/auth.mappers.ts#ViewerModel',
        Session: '../modules/auth/auth.mappers.ts#SessionModel',
        User: '../modules/users/users.mappers.ts#UserModel',
        School: '../modules/schools/schools.mappers.ts#SchoolModel',
        Classroom: '../modules/classrooms/classrooms.mappers.ts#ClassroomModel',
        Student: '../modules/students/students.mappers.ts#StudentModel',
        RiskProfile: '../modules/students/students.mappers.ts#RiskProfileModel',
        AttendanceRecord: '../modules/students/students.mappers.ts#AttendanceRecordModel',
        BehaviourIncident: '../modules/students/students.mappers.ts#BehaviourIncidentModel',
        AssessmentResult: '../modules/students/students.mappers.ts#AssessmentResultModel',
        InterventionCase: '../modules/cases/cases.mappers.ts#InterventionCaseModel',
        CaseEvent: '../modules/cases/cases.mappers.ts#CaseEventModel',
        Alert: '../modules/alerts/alerts.mappers.ts#AlertModel',
        AuditLogEntry: '../modules/audit-log/audit-log.mappers.ts#AuditLogEntryModel',
        StudentRecordView: '../modules/audit-log/audit-log.mappers.ts#StudentRecordViewModel',
        ApiToken: '../modules/api-tokens/api-tokens.mappers.ts#ApiTokenModel',
        Dashboard: '../modules/dashboard/dashboard.mappers.ts#DashboardModel',
        ...Object.fromEntries(
          Object.keys(schema.getTypeMap())
            .filter((name) => name.endsWith('Connection'))
            .map((name) => [name, '../paging/connection.ts#ConnectionModel']),
        ),
        ...Object.fromEntries(
          Object.keys(schema.getTypeMap())
            .filter((name) => name.endsWith('Edge'))
            .map((name) => [name, '../paging/connection.ts#EdgeModel']),
        ),
      },
    },
  },
];

// The web app's operations: every graphql(`...`) call in its source (the client preset's convention; the
// documents are static strings, so a plain scan finds them all).
const webSource = join(root, 'apps/web/src');
const webDocuments = readdirSync(webSource, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !entry.parentPath.includes('/gql'))
  .map((entry) => join(entry.parentPath, entry.name))
  .sort()
  .flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/graphql\(\s*`([\s\S]*?)`\s*\)/g)].map((match) => ({
      location: relative(root, file),
      document: parse(match[1]),
      rawSDL: match[1],
    })),
  );
const clientSections = await clientPreset.buildGeneratesSection({
  baseOutputDir: join(webSource, 'gql/'),
  schema: parse(printSchema(schema)),
  schemaAst: schema,
  documents: webDocuments,
  plugins: [],
  pluginMap: {},
  config: {
    useTypeImports: true,
    enumsAsTypes: true,
    scalars: { DateTime: 'string', Date: 'string' },
    avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
  },
  presetConfig: { fragmentMasking: { unmaskFunctionName: 'getFragmentData' } },
});
for (const section of clientSections) {
  outputs.push({
    file: section.filename,
    plugins: section.plugins,
    pluginMap: section.pluginMap,
    config: section.config,
    documents: section.documents,
  });
}

const check = process.argv.includes('--check');
let stale = 0;
for (const output of outputs) {
  const generated = await codegen({
    schema: parse(printSchema(schema)),
    schemaAst: schema,
    documents: output.documents ?? [],
    filename: output.file,
    plugins: output.plugins,
    pluginMap: output.pluginMap ?? { typescript: typescriptPlugin, typescriptResolvers: resolversPlugin },
    config: output.config,
  });
  const banner =
    '// Generated by `pnpm codegen` from the .graphql files of apps/api/src. Do not edit.\n/* eslint-disable */\n';
  const formatted = await prettier.format(banner + generated, {
    ...(await prettier.resolveConfig(output.file)),
    filepath: output.file,
  });
  const name = relative(root, output.file);
  let current = '';
  try {
    current = readFileSync(output.file, 'utf8');
  } catch {
    // Not generated yet.
  }
  if (current === formatted) {
    console.log(`codegen: ${name} is up to date`);
  } else if (check) {
    console.error(`codegen --check: ${name} differs from the schema; run pnpm codegen and commit the result`);
    stale++;
  } else {
    mkdirSync(dirname(output.file), { recursive: true });
    writeFileSync(output.file, formatted);
    console.log(`codegen: wrote ${name}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
