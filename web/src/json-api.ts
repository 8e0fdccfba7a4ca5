// JSON requests to the collector's API for the management pages (admin, alerts): the server's
// one-sentence error becomes the thrown message, and answers are checked at the boundary.
export class ApiError extends Error {}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export async function callJson(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(path, {
    method,
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status === 204) return {};
  const answer: unknown = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(isObject(answer) && typeof answer.error === 'string' ? answer.error : `${method} ${path.split('?')[0]} answered ${res.status}`);
  if (!isObject(answer)) throw new ApiError(`${path.split('?')[0]} answered with an unexpected shape`);
  return answer;
}

export function listOf<T>(answer: Record<string, unknown>, key: string, check: (v: unknown) => v is T): T[] {
  const list = answer[key];
  if (!Array.isArray(list)) throw new ApiError(`the answer has no ${key} list`);
  return list.filter(check);
}
