// An HTTP client that behaves like the dashboard in a browser: keeps its cookies and echoes the
// session's CSRF token on writes. For tests of access control over a running collector.
export class SessionClient {
  cookies = new Map<string, string>();
  csrf = '';

  /** `base` is read per request, so a client can be made before the collector is up. */
  constructor(private readonly base: () => string) {}

  async request(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { ...headers };
    if (this.cookies.size > 0) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined && !(body instanceof Uint8Array)) h['content-type'] = 'application/json';
    const res = await fetch(this.base() + p, { method, headers: h, ...(body === undefined ? {} : { body: body instanceof Uint8Array ? new Uint8Array(body) : JSON.stringify(body) }) });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      const v = pair.slice(eq + 1);
      if (v === '') this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), v);
    }
    return res;
  }

  write(method: string, p: string, body?: unknown): Promise<Response> {
    return this.request(method, p, body, { 'x-csrf-token': this.csrf });
  }

  async login(user: string, password: string): Promise<Response> {
    const res = await this.request('POST', '/api/auth/login', { user, password });
    if (res.ok) this.csrf = ((await res.clone().json()) as { csrf: string }).csrf;
    return res;
  }
}
