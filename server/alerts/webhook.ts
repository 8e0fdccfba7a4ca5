/**
 * One webhook attempt: POST the frozen JSON body, signed with the rule's secret. The signature is
 * an HMAC-SHA256 of the exact bytes sent, so a receiver verifies before it parses.
 */
import { createHmac } from 'node:crypto';
import type { SendResult } from './delivery.js';

const TIMEOUT_MS = 10_000;
const ERROR_BODY_CHARS = 200;

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export async function postWebhook(url: string, body: string, o: { secret: string | undefined; event: string; deliveryId: number }): Promise<SendResult> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'ipp-collector-alerts',
    'x-ipp-event': o.event,
    'x-ipp-delivery': String(o.deliveryId),
  };
  if (o.secret !== undefined) headers['x-ipp-signature'] = signature(o.secret, body);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { ok: false, retry: true, error: e.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} s` : e.cause?.code ?? e.cause?.message ?? e.message };
  }
  const text = (await res.text().catch(() => '')).slice(0, ERROR_BODY_CHARS).replace(/\s+/g, ' ').trim();
  if (res.status >= 200 && res.status < 300) return { ok: true };
  // Server trouble and "slow down" pass; anything else (404, 401, a redirect) will not fix itself.
  const retry = res.status >= 500 || res.status === 429 || res.status === 408;
  return { ok: false, retry, error: `HTTP ${res.status}${text ? `: ${text}` : ''}` };
}
