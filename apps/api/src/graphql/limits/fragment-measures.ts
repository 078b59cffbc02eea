/**
 * Fragments measured once each: every limit walks the document the same way, and a fragment spread many times
 * (or spread into fragments that are spread many times) must cost one walk, never one per spread.
 */
import type { FragmentDefinitionNode, ValidationContext } from 'graphql';

export type FragmentLookup = (name: string) => FragmentDefinitionNode | null | undefined;

/**
 * Measures each fragment the first time it is spread and answers from memory after that; a fragment spread
 * inside itself measures as `onCycle`. `context` is whatever the first measurement needs (a path, say); later
 * spreads reuse that measurement, which must therefore not depend on where the fragment is spread.
 */
export function measuredFragments<Measure, Context>(
  lookup: FragmentLookup,
  measure: (fragment: FragmentDefinitionNode, context: Context) => Measure,
  onCycle: Measure,
): (name: string, context: Context) => Measure {
  const measured = new Map<string, Measure>();
  const inProgress = new Set<string>();
  return (name, context) => {
    const known = measured.get(name);
    if (known !== undefined) return known;
    const fragment = lookup(name);
    // An unknown fragment is KnownFragmentNamesRule's to report; a cycle is NoFragmentCyclesRule's.
    if (!fragment || inProgress.has(name)) return onCycle;
    inProgress.add(name);
    try {
      const result = measure(fragment, context);
      measured.set(name, result);
      return result;
    } finally {
      inProgress.delete(name);
    }
  };
}

export function fragmentsOf(context: ValidationContext): FragmentLookup {
  return (name) => context.getFragment(name);
}
