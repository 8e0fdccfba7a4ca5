// Hash routing (`#/logs?device=10.0.0.5&module=sip_stack,dsp`): works behind any static file
// server and reverse proxy without server-side rewrites, and a pasted URL restores the view.

export interface Route {
  path: string;
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#/, '');
  const q = hash.indexOf('?');
  const path = (q < 0 ? hash : hash.slice(0, q)) || '/';
  return { path, params: new URLSearchParams(q < 0 ? '' : hash.slice(q + 1)) };
}

/** `/calls/12` → `['calls', '12']`, each part decoded (device refs may hold `:` or `%`). */
export function pathParts(path: string): string[] {
  return path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
}

export function routeHash(path: string, params: URLSearchParams): string {
  // URLSearchParams encodes ',' as %2C; keep lists readable in tickets.
  const query = params.toString().replace(/%2C/gi, ',');
  return `#${path}${query ? `?${query}` : ''}`;
}

/** Records a view change: `push` adds a Back step (searching), `replace` does not (tweaking filters). */
export function setRoute(path: string, params: URLSearchParams, mode: 'push' | 'replace'): void {
  const hash = routeHash(path, params);
  if (hash === location.hash) return;
  if (mode === 'push') history.pushState(null, '', hash);
  else history.replaceState(null, '', hash);
}
