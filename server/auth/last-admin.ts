/**
 * The one rule about admins that no single request may break: at least one enabled admin user
 * remains, or nobody could manage users again without editing the database. Tokens do not count:
 * a token cannot log in to the admin page and may expire.
 */
import type { UserRow } from '../store/auth-store.js';
import type { Role } from './policy.js';

/** What `name` becomes: its new role and state, or null when it is deleted. */
export type UserAfter = { readonly role: Role; readonly disabled: boolean } | null;

/** The sentence that refuses the change, or null when enough admins remain. */
export function lastAdminProblem(users: readonly UserRow[], name: string, after: UserAfter): string | null {
  const target = users.find((u) => u.name === name);
  if (!target || target.role !== 'admin' || target.disabled) return null;
  if (after && after.role === 'admin' && !after.disabled) return null;
  const enabledAdmins = users.filter((u) => u.role === 'admin' && !u.disabled).length;
  if (enabledAdmins > 1) return null;
  const verb = after === null ? 'deleted' : after.disabled ? 'disabled' : `made ${after.role}`;
  return `${name} is the last enabled admin and cannot be ${verb}: make another user admin first`;
}
