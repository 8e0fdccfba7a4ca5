/**
 * Login rate limiting, per client address and per user name: after a few failures each further
 * attempt must wait, twice as long each time, up to a ceiling. A locked key is refused before
 * the password is even checked, so guessing costs the attacker time, not us CPU. Entries are
 * bounded (the oldest forgotten first) so a spray of names cannot grow memory.
 */

/** Failures allowed before waits start: per user name, and per address, where many people may sit behind one NAT. */
const FREE_FAILURES_PER_USER = 5;
const FREE_FAILURES_PER_ADDRESS = 20;
const FIRST_LOCK_MS = 1000;
const MAX_LOCK_MS = 15 * 60_000;
/** A key quiet for this long starts over. */
const FORGET_AFTER_MS = 60 * 60_000;
const MAX_KEYS = 10_000;

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  /** Attempts refused because a key was locked, for /api/health. */
  refused = 0;
  failures = 0;

  constructor(private readonly now: () => number) {}

  /** Milliseconds until an attempt for this address and user may be made (0: now). */
  waitMs(address: string, user: string): number {
    const t = this.now();
    let wait = 0;
    for (const key of keys(address, user)) {
      const e = this.entries.get(key);
      if (!e) continue;
      if (t - e.lastFailure > FORGET_AFTER_MS) this.entries.delete(key);
      else wait = Math.max(wait, e.lockedUntil - t);
    }
    if (wait > 0) this.refused++;
    return Math.max(0, wait);
  }

  failed(address: string, user: string): void {
    const t = this.now();
    this.failures++;
    for (const key of keys(address, user)) {
      const e = this.entries.get(key) ?? { failures: 0, lockedUntil: 0, lastFailure: t };
      e.failures++;
      e.lastFailure = t;
      const free = key.startsWith('a:') ? FREE_FAILURES_PER_ADDRESS : FREE_FAILURES_PER_USER;
      if (e.failures >= free) e.lockedUntil = t + Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** Math.min(30, e.failures - free));
      this.entries.delete(key);
      this.entries.set(key, e);
    }
    while (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);
  }

  succeeded(address: string, user: string): void {
    for (const key of keys(address, user)) this.entries.delete(key);
  }
}

function keys(address: string, user: string): string[] {
  return [`a:${address}`, `u:${user.toLowerCase()}`];
}
