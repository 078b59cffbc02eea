/**
 * The SDL, when the build has inlined it (production bundles carry no .graphql files); empty when running from
 * source, where schema.ts reads the files. build.mjs replaces this module.
 */
export const bundledTypeDefs: string[] = [];
