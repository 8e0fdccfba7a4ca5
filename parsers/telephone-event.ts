/**
 * RTP telephone-event payload (RFC 4733, formerly RFC 2833): DTMF digits and line events.
 * Field ↔ tshark: event → rtpevent.event_id, end → rtpevent.end_of_event, reserved →
 * rtpevent.reserved, volume → rtpevent.volume, duration → rtpevent.duration.
 */
import { decodeError, type DecodeError } from './decode-error.js';

const FORMAT = 'rtpevent';
const EVENT_BYTES = 4;

export interface TelephoneEvent {
  readonly event: number;
  /** '0'-'9', '*', '#', 'A'-'D', 'Flash', or an RFC 4734 tone name; null when unassigned. */
  readonly name: string | null;
  readonly end: boolean;
  readonly reserved: boolean;
  /** Power level in -dBm0 (0-63); 0 for non-DTMF events that carry no volume. */
  readonly volume: number;
  /** In RTP timestamp units since the event began. */
  readonly duration: number;
}

const DTMF_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D', 'Flash'];
/** RFC 4734 §3 modem/fax events 32-49. */
const FAX_NAMES = ['ANS', '/ANS', 'ANSam', '/ANSam', 'CNG', 'V.21 channel 1, 0 bit', 'V.21 channel 1, 1 bit', 'V.21 channel 2, 0 bit',
  'V.21 channel 2, 1 bit', 'CRdi', 'CRdr', 'CRe', 'ESi', 'ESr', 'MRdi', 'MRdr', 'MRe', 'CT'];
const FAX_FIRST_EVENT = 32;

export function telephoneEventName(event: number): string | null {
  return DTMF_NAMES[event] ?? FAX_NAMES[event - FAX_FIRST_EVENT] ?? null;
}

function decodeAt(b: Uint8Array, o: number): TelephoneEvent {
  const event = b[o]!;
  return {
    event,
    name: telephoneEventName(event),
    end: (b[o + 1]! & 0x80) !== 0,
    reserved: (b[o + 1]! & 0x40) !== 0,
    volume: b[o + 1]! & 0x3f,
    duration: (b[o + 2]! << 8) | b[o + 3]!,
  };
}

/** The event in an RTP payload (its first 4 bytes). */
export function decodeTelephoneEvent(payload: Uint8Array): TelephoneEvent | DecodeError {
  if (payload.length < EVENT_BYTES) return decodeError(FORMAT, `telephone-event payload too short: ${payload.length} of ${EVENT_BYTES} bytes at offset 0`, 0);
  return decodeAt(payload, 0);
}

/** All events of a payload that packs several (RFC 4733 §2.5.1.5); the length must be a multiple of 4. */
export function decodeTelephoneEvents(payload: Uint8Array): TelephoneEvent[] | DecodeError {
  if (payload.length === 0 || payload.length % EVENT_BYTES !== 0) {
    return decodeError(FORMAT, `telephone-event payload length ${payload.length} is not a positive multiple of ${EVENT_BYTES}`, 0);
  }
  const events: TelephoneEvent[] = [];
  for (let o = 0; o < payload.length; o += EVENT_BYTES) events.push(decodeAt(payload, o));
  return events;
}
