/**
 * SQL literals for ClickHouse. 18.16 has no server-side query parameters over HTTP (`{name:Type}`
 * came in 19.x), so values reach the query as literals, and only through these functions: strings
 * are quoted with every byte that could end or bend the literal escaped, numbers must be finite.
 * test/contract checks the quoting round-trips hostile strings through a real server.
 */

/** A string literal: backslash, quote and control bytes escaped. */
export function str(value: string): string {
  // eslint-disable-next-line no-control-regex
  return `'${value.replace(/[\\'\u0000-\u001f\u007f]/g, (c) => (c === '\\' || c === "'" ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))}'`;
}

/** A number literal; anything not a finite number is a programming error here, never data. */
export function num(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return String(value);
}

/** An integer literal (ids, times in ms). */
export function int(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`not a safe integer: ${value}`);
  return String(value);
}

/** `(a, b, c)` for IN; an empty list gives `(NULL)`, which matches nothing. */
export function list(values: readonly (string | number)[]): string {
  if (values.length === 0) return '(NULL)';
  return `(${values.map((v) => (typeof v === 'number' ? int(v) : str(v))).join(', ')})`;
}

/** Escapes for LIKE patterns: the user's text matches literally inside `%…%`. */
export function likeContains(text: string): string {
  return str(`%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
}
