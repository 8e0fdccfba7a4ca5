/** Query-string and body readers for the API boundary: anything from a request is checked here, once. */
import type { Request } from 'express';

export class BadRequest extends Error {}

/** A JSON request body, which must be an object. */
export function bodyOf(req: Request): Record<string, unknown> {
  const b: unknown = req.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new BadRequest('send a JSON object (Content-Type: application/json)');
  return b as Record<string, unknown>;
}

type Query = Record<string, unknown>;

export function optionalString(q: Query, name: string, maxLength = 1024): string | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') throw new BadRequest(`${name}: give it once, as text`);
  if (v.length > maxLength) throw new BadRequest(`${name}: longer than ${maxLength} characters`);
  return v;
}

export function optionalInt(q: Query, name: string, min: number, max: number): number | undefined {
  const s = optionalString(q, name, 32);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) throw new BadRequest(`${name}: "${s}" is not a whole number from ${min} to ${max}`);
  return n;
}

/** ISO 8601 or ms since the epoch. */
export function optionalTime(q: Query, name: string): number | undefined {
  const s = optionalString(q, name, 64);
  if (s === undefined) return undefined;
  const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(n)) throw new BadRequest(`${name}: "${s}" is not a time (use ISO 8601, e.g. 2026-11-26T10:00:00Z)`);
  return n;
}

export function optionalList(q: Query, name: string, allowed: ReadonlySet<string>): string[] | undefined {
  const s = optionalString(q, name);
  if (s === undefined) return undefined;
  const items = s.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = items.filter((x) => !allowed.has(x));
  if (bad.length > 0) throw new BadRequest(`${name}: unknown value(s) ${bad.map((b) => JSON.stringify(b)).join(', ')}; known: ${[...allowed].join(', ')}`);
  return items;
}
