/**
 * How deeply a request's variables nest, measured without recursion before anything walks them. GraphQL's own
 * coercion stops where the variable's type ends, but code that reads every value a request sent (the refusal
 * audit looks for other schools' ids) would follow a million nested brackets, which fit in the body limit,
 * until the stack ran out: a 500 for a request that was only wrong.
 */
import { LIMITS } from './limit-values.ts';

/**
 * The levels of arrays and objects in `value` (a scalar is 0, `[]` and `{}` are 1, `[[1]]` is 2), counted up to
 * `stopAbove + 1` at most, so a hostile value costs no more than a legitimate one to measure.
 */
export function nestingDepth(value: unknown, stopAbove: number = LIMITS.maxVariableNesting): number {
  let deepest = 0;
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    const depth = next.depth + 1;
    deepest = Math.max(deepest, depth);
    if (deepest > stopAbove) return deepest;
    for (const item of Array.isArray(next.value) ? next.value : Object.values(next.value)) {
      if (item !== null && typeof item === 'object') pending.push({ value: item, depth });
    }
  }
  return deepest;
}

/**
 * The refusal for variables nested deeper than LIMITS.maxVariableNesting, or null. `variables` is what the
 * request carries: an object in a POST body, JSON text in a GET query string.
 */
export function variableNestingRefusal(variables: unknown): string | null {
  let value = variables;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null; // Apollo answers text that is not JSON itself, naming what to send.
    }
  }
  // The variables object is a level of its own, which no input type counts.
  const depth = nestingDepth(value, LIMITS.maxVariableNesting + 1) - 1;
  if (depth <= LIMITS.maxVariableNesting) return null;
  return `Variables nest more than ${LIMITS.maxVariableNesting} levels of lists and input objects deep; no argument takes more. Send each variable as its type is declared.`;
}
