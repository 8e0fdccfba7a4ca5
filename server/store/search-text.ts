/**
 * A log search read as plain substrings, for stores (or parts of a store) that match text without
 * a word index: the fleet store, and the embedded store's not yet indexed tail. The meaning is the
 * one LogQuery.text promises, so every backend finds the same lines.
 */

export interface SearchTerm {
  /** Lower case; must occur in the message (or must not, when `exclude`). */
  readonly text: string;
  readonly exclude: boolean;
}

const OPERATOR = /^(AND|OR|NOT|NEAR)$/;

/**
 * The search as alternatives (`OR`) of terms that must all hold: a quoted phrase is one term as
 * written (an unbalanced quote runs to the end), a bare word one term without its prefix `*`,
 * `NOT` excludes the next term, parentheses and `NEAR` are dropped. Text that leaves no term (only
 * operators or punctuation) is searched as itself, as the index does with text it cannot parse.
 */
export function searchTerms(query: string): SearchTerm[][] {
  const groups: SearchTerm[][] = [[]];
  let exclude = false;
  for (const m of query.matchAll(/"([^"]*)"?|[^\s"()]+/g)) {
    const phrase = m[1] !== undefined;
    const word = phrase ? m[1]!.trim() : m[0];
    if (!phrase && OPERATOR.test(word)) {
      if (word === 'OR') groups.push([]);
      exclude = word === 'NOT';
      continue;
    }
    const text = (phrase ? word : word.replace(/\*+$/, '')).toLowerCase();
    if (text) groups[groups.length - 1]!.push({ text, exclude });
    exclude = false;
  }
  const alternatives = groups.filter((g) => g.length > 0);
  if (alternatives.length > 0) return alternatives;
  const whole = query.trim().toLowerCase();
  return whole ? [[{ text: whole, exclude: false }]] : [];
}
