/**
 * The gate in front of one listener: the sender must be in the allow-list and within its rate.
 * Whatever is turned away is counted on the source (`denied`, `limited`) and by sender address, so
 * /api/health shows who is knocking; nothing is dropped silently.
 */
import type { Counters } from '../counters.js';
import type { AllowList } from './allow-list.js';
import { SenderRateLimit } from './rate-limit.js';

/** Turned-away senders remembered per listener, for the top list in /api/health. */
const MAX_TRACKED_SENDERS = 1000;
const TOP_SENDERS_SHOWN = 10;

export interface GuardOptions {
  readonly source: string;
  readonly allow: AllowList | null;
  /** Per sender per second; 0 = unlimited. */
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly counters: Counters;
  readonly now: () => number;
}

export interface TurnedAway {
  readonly address: string;
  denied: number;
  limited: number;
}

export class SourceGuard {
  private readonly limit: SenderRateLimit | null;
  private readonly senders = new Map<string, TurnedAway>();

  constructor(private readonly o: GuardOptions) {
    this.limit = o.ratePerSecond > 0 ? new SenderRateLimit(o.ratePerSecond, o.burst > 0 ? o.burst : Math.max(1, o.ratePerSecond), o.now) : null;
  }

  /** Whether a connection from this sender may be accepted at all (TCP). */
  allowsSender(address: string): boolean {
    if (!this.o.allow || this.o.allow.allows(address)) return true;
    this.o.counters.source(this.o.source).denied++;
    this.sender(address).denied++;
    return false;
  }

  /** Whether one datagram or frame from this sender may go on. */
  admit(address: string): boolean {
    if (!this.allowsSender(address)) return false;
    if (!this.limit || this.limit.take(address)) return true;
    this.o.counters.source(this.o.source).limited++;
    this.sender(address).limited++;
    return false;
  }

  /** The senders turned away most, for /api/health. */
  top(): TurnedAway[] {
    return [...this.senders.values()].sort((a, b) => b.denied + b.limited - (a.denied + a.limited)).slice(0, TOP_SENDERS_SHOWN).map((s) => ({ ...s }));
  }

  get allowList(): readonly string[] {
    return this.o.allow?.networks ?? [];
  }

  private sender(address: string): TurnedAway {
    let s = this.senders.get(address);
    if (!s) {
      if (this.senders.size >= MAX_TRACKED_SENDERS) this.senders.delete(this.senders.keys().next().value!);
      s = { address, denied: 0, limited: 0 };
      this.senders.set(address, s);
    }
    return s;
  }
}

/** Which allow-list setting guards which listener. */
const ALLOW_SETTING: Readonly<Record<string, 'allowSyslog' | 'allowRecordings' | 'allowSip'>> = {
  'syslog-udp': 'allowSyslog',
  'syslog-tcp': 'allowSyslog',
  'syslog-tls': 'allowSyslog',
  recordings: 'allowRecordings',
  'sip-udp': 'allowSip',
  'sip-tcp': 'allowSip',
};

export interface GuardSettings {
  readonly allowSyslog: string;
  readonly allowRecordings: string;
  readonly allowSip: string;
  readonly sourceRateLimit: number;
  readonly sourceRateBurst: number;
}

/** One guard per listener, made from the settings on first use. */
export class SourceGuards {
  private readonly guards = new Map<string, SourceGuard>();

  constructor(private readonly settings: GuardSettings, private readonly counters: Counters, private readonly now: () => number,
    private readonly parse: (text: string) => AllowList | null) {}

  for(listener: string): SourceGuard {
    let g = this.guards.get(listener);
    if (!g) {
      const setting = ALLOW_SETTING[listener];
      g = new SourceGuard({
        source: listener, allow: setting ? this.parse(this.settings[setting]) : null,
        ratePerSecond: this.settings.sourceRateLimit, burst: this.settings.sourceRateBurst, counters: this.counters, now: this.now,
      });
      this.guards.set(listener, g);
    }
    return g;
  }

  /** Per listener: the networks allowed and the senders turned away most. */
  health(): Record<string, { allow: readonly string[]; turnedAway: TurnedAway[] }> {
    return Object.fromEntries([...this.guards].map(([name, g]) => [name, { allow: g.allowList, turnedAway: g.top() }]));
  }
}
