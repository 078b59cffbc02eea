/** An enum value as lower-case words: `NO_CHANGE` reads "no change", `AT_RISK` "at risk". */
export function lowerWords(value: string): string {
  return value.toLowerCase().replace('_', ' ');
}
