/**
 * Limits that refuse abusive GraphQL documents before any resolver or SQL runs. The validation rules (depth,
 * aliases, root fields) fail the request with Apollo's own 400 for invalid documents; the cost plugin, which
 * needs the request's variables, throws `badInput` (400) once the operation is chosen. Every message names the
 * limit and what to ask for instead.
 *
 * Fragments are measured once each and reused, so a document that spreads fragments into fragments costs a
 * walk linear in its size, never exponential; a fragment cycle (which NoFragmentCyclesRule reports) measures
 * as nothing instead of looping. A fragment is counted at every place it is spread, as its fields would be
 * resolved there: two spreads into one selection, which GraphQL merges, count twice. That overestimate only
 * errs towards refusing, and only for documents far larger than our pages send.
 *
 * Each job has its file under limits/ (the values, per-operation validation rules, the document's shape, the
 * operation's cost); the server and the tests import them all from here.
 */
export { LIMITS } from './limits/limit-values.ts';
export {
  aliasLimitRule,
  depthLimitRule,
  noSubscriptionsRule,
  oncePerRequestRule,
  rootFieldLimitRule,
} from './limits/operation-rules.ts';
export {
  type DocumentShape,
  documentShapeLimit,
  measureDocumentShape,
  type ShapeLimits,
  shapeRefusal,
} from './limits/document-shape.ts';
export {
  type AnalyseOptions,
  analyseOperation,
  type CostLimitOptions,
  costLimitPlugin,
  type OperationAnalysis,
} from './limits/operation-cost.ts';
export { namedType, withFields } from './limits/schema-types.ts';
export { nestingDepth, variableNestingRefusal } from './limits/variable-nesting.ts';
