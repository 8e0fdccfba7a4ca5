// The live hub's one emit path applies the per-event role rules: a viewer never receives an event
// the policy reserves for analysts, whether it is broadcast or sent by an area's own handler.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connectSocket, type Socket as ClientSocket } from 'socket.io-client';
import { isRole } from '../../server/auth/policy.js';
import { LiveHub } from '../../server/live/hub.js';

let server: http.Server;
let hub: LiveHub;
let url: string;
const clients: ClientSocket[] = [];

beforeAll(async () => {
  server = http.createServer();
  // The handshake token names the role directly: this test is about the emit path, not login.
  hub = new LiveHub(server, 100, () => 0, async (_headers, token) => (isRole(token) ? { role: token } : null));
  hub.onConnect((socket) => {
    socket.on('test:ask', () => {
      socket.emit('recordings:audio', { pcm: 'secret' });
      socket.emit('calls:update', { id: 1 });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const c of clients) c.close();
  await hub.close();
  await new Promise<void>((r) => server.close(() => r()));
});

function client(role: string): Promise<{ socket: ClientSocket; events: string[] }> {
  return new Promise((resolve, reject) => {
    const socket = connectSocket(url, { transports: ['websocket'], reconnection: false, auth: { token: role } });
    clients.push(socket);
    const events: string[] = [];
    socket.onAny((event: string) => events.push(event));
    socket.on('connect', () => resolve({ socket, events }));
    socket.on('connect_error', reject);
  });
}

const settle = () => new Promise((r) => setTimeout(r, 200));

describe('live events by role', () => {
  it('withholds analyst-only events from a viewer on broadcast and on an area handler\'s own emit', async () => {
    const viewer = await client('viewer');
    const analyst = await client('analyst');
    // Broadcasts are volatile: give the fresh connections a moment to be writable.
    await settle();
    hub.broadcast('recordings:audio', { pcm: 'secret' });
    await settle();
    hub.broadcast('crashes:update', { id: 1 });
    await settle();
    viewer.socket.emit('test:ask');
    analyst.socket.emit('test:ask');
    await settle();
    expect(viewer.events.sort()).toEqual(['calls:update', 'crashes:update']);
    expect(analyst.events.sort()).toEqual(['calls:update', 'crashes:update', 'recordings:audio', 'recordings:audio']);
    expect(hub.withheldTotal).toBe(2);
  });

  it('refuses a socket without credentials', async () => {
    await expect(client('nobody')).rejects.toThrow(/log in first/);
  });
});
