/**
 * The devices the collector has heard from, keyed by source address, with what they told us
 * about themselves. The registry is the authority in memory; changed devices go to the store with
 * the next batch.
 */
import { normaliseMac, type DeviceFacts } from '../../parsers/device-facts.js';
import type { DeviceRecord } from '../store/types.js';

/** A sequence number this far below the last one means the phone restarted its counter. */
const SEQ_RESTART_DISTANCE = 1000;

type DeviceState = {
  -readonly [K in keyof DeviceRecord]: K extends 'modules' ? Record<string, number> : DeviceRecord[K];
};

export class DeviceRegistry {
  private readonly byAddress = new Map<string, DeviceState>();
  private readonly byDeviceId = new Map<number, DeviceState>();
  private readonly lastSeq = new Map<number, number>();
  private readonly dirty = new Set<DeviceState>();
  private readonly fleet = new Map<number, DeviceRecord>();
  private readonly fleetByAddress = new Map<string, DeviceRecord>();
  constructor(existing: readonly DeviceRecord[], private readonly newDeviceId: (address: string) => number) {
    for (const d of existing) this.add({ ...d, modules: { ...d.modules } });
  }

  /** The device at this address, created on first contact. */
  touch(address: string, nowMs: number): DeviceState {
    let d = this.byAddress.get(address);
    if (!d) {
      d = {
        id: this.newDeviceId(address), address, mac: null, model: null, firmware: null, hostname: null, firstSeen: nowMs,
        lastSeen: nowMs, logs: 0, seqGaps: 0, seqOutOfOrder: 0, modules: {},
      };
      this.add(d);
    }
    if (nowMs > d.lastSeen) d.lastSeen = nowMs;
    this.dirty.add(d);
    return d;
  }

  noteLine(d: DeviceState, module: string, seq: number | null, hostname: string | null, facts: DeviceFacts | null): void {
    d.logs++;
    d.modules[module] = (d.modules[module] ?? 0) + 1;
    if (hostname && hostname !== d.hostname) d.hostname = hostname;
    if (facts) {
      if (facts.mac) d.mac = facts.mac;
      if (facts.model) d.model = facts.model;
      if (facts.firmware) d.firmware = facts.firmware;
    }
    if (seq !== null) this.noteSeq(d, seq);
  }

  /** Counts sequence gaps the way AudioCodes' Syslog Viewer reports missing lines. */
  private noteSeq(d: DeviceState, seq: number): void {
    const last = this.lastSeq.get(d.id);
    if (last === undefined || seq === last + 1) {
      this.lastSeq.set(d.id, seq);
    } else if (seq > last + 1) {
      d.seqGaps += seq - last - 1;
      this.lastSeq.set(d.id, seq);
    } else if (last - seq > SEQ_RESTART_DISTANCE) {
      this.lastSeq.set(d.id, seq);
    } else {
      // A late line fills a gap counted earlier.
      d.seqOutOfOrder++;
      if (d.seqGaps > 0) d.seqGaps--;
    }
  }

  private add(d: DeviceState): void {
    this.byAddress.set(d.address, d);
    this.byDeviceId.set(d.id, d);
  }

  /** The device that told us this MAC (any separator style), e.g. a vq report's LocalMAC. */
  byMac(mac: string): DeviceRecord | undefined {
    if (!isMac(mac)) return undefined;
    const wanted = normaliseMac(mac);
    for (const d of this.byAddress.values()) if (d.mac === wanted) return this.view(d);
    for (const d of this.fleet.values()) if (d.mac === wanted) return d;
    return undefined;
  }

  /** Records a MAC a device reported about itself, unless one is already known. */
  learnMac(id: number, mac: string): void {
    const d = this.byDeviceId.get(id);
    if (!d || d.mac || !isMac(mac)) return;
    d.mac = normaliseMac(mac);
    this.dirty.add(d);
  }

  /**
   * What the fleet store knows (every collector's devices, summed), refreshed now and then on a
   * shared store. This collector goes on counting only its own lines; the fleet's view is what
   * lookups and lists show, as fresh as the last refresh, except where its own counts are ahead.
   */
  adoptFleet(records: readonly DeviceRecord[]): void {
    this.fleet.clear();
    this.fleetByAddress.clear();
    for (const r of records) {
      this.fleet.set(r.id, r);
      this.fleetByAddress.set(r.address, r);
    }
  }

  get(address: string): DeviceRecord | undefined {
    const own = this.byAddress.get(address);
    return own ? this.view(own) : this.fleetByAddress.get(address);
  }

  byId(id: number): DeviceRecord | undefined {
    const own = this.byDeviceId.get(id);
    return own ? this.view(own) : this.fleet.get(id);
  }

  all(): DeviceRecord[] {
    const out = [...this.byAddress.values()].map((d) => this.view(d));
    for (const f of this.fleet.values()) if (!this.byDeviceId.has(f.id)) out.push(f);
    return out;
  }

  private view(own: DeviceState): DeviceRecord {
    const f = this.fleet.get(own.id);
    if (!f || f.logs < own.logs) return { ...own, modules: { ...own.modules } };
    return {
      ...f,
      mac: own.mac ?? f.mac, model: own.model ?? f.model, firmware: own.firmware ?? f.firmware, hostname: own.hostname ?? f.hostname,
      firstSeen: Math.min(f.firstSeen, own.firstSeen), lastSeen: Math.max(f.lastSeen, own.lastSeen),
    };
  }

  /** Marks devices dirty again after their write failed. */
  requeue(records: readonly DeviceRecord[]): void {
    for (const r of records) {
      const d = this.byDeviceId.get(r.id);
      if (d) this.dirty.add(d);
    }
  }

  /** Snapshots of the devices changed since the last call. */
  takeDirty(): DeviceRecord[] {
    const out = [...this.dirty].map((d) => ({ ...d, modules: { ...d.modules } }));
    this.dirty.clear();
    return out;
  }
}

/** Twelve hex digits, whatever separates them (reports are hostile text). */
function isMac(text: string): boolean {
  return /^[0-9A-Fa-f]{12}$/.test(text.replace(/[:.-]/g, ''));
}
