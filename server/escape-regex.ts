/** A literal string as a regular expression source: text from the network or a browser matches as typed. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
