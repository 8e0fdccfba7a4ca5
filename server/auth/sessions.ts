/**
 * Browser sessions, in memory: a restart logs everyone out, which is acceptable for a collector
 * and means no session secret ever touches the disk. Each session carries its own CSRF token.
 */
import { randomBytes } from 'node:crypto';
import type { Role } from './policy.js';

export const SESSION_IDLE_MS = 12 * 3600_000;
export const SESSION_MAX_AGE_MS = 7 * 24 * 3600_000;
const MAX_SESSIONS = 10_000;

export interface Session {
  readonly id: string;
  readonly user: string;
  role: Role;
  readonly csrf: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(private readonly now: () => number) {}

  create(user: string, role: Role): Session {
    const t = this.now();
    const s: Session = { id: randomBytes(32).toString('base64url'), user, role, csrf: randomBytes(24).toString('base64url'), createdAt: t, lastSeenAt: t };
    this.byId.set(s.id, s);
    while (this.byId.size > MAX_SESSIONS) this.byId.delete(this.byId.keys().next().value!);
    return s;
  }

  get(id: string): Session | null {
    const s = this.byId.get(id);
    if (!s) return null;
    const t = this.now();
    if (t - s.lastSeenAt > SESSION_IDLE_MS || t - s.createdAt > SESSION_MAX_AGE_MS) {
      this.byId.delete(id);
      return null;
    }
    s.lastSeenAt = t;
    return s;
  }

  delete(id: string): void {
    this.byId.delete(id);
  }

  /** A changed role applies at once; a deleted user (role null) is logged out everywhere. */
  updateUser(user: string, role: Role | null): void {
    for (const [id, s] of this.byId) {
      if (s.user !== user) continue;
      if (role === null) this.byId.delete(id);
      else s.role = role;
    }
  }
}
