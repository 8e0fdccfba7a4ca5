import { describe, expect, it } from 'vitest';
import { decodeTelephoneEvent, decodeTelephoneEvents, telephoneEventName } from '../../parsers/telephone-event.js';
import { buildTelephoneEvent } from '../../server/simulator/wire/acdr.js';

describe('RFC 4733 telephone events', () => {
  it('decodes a DTMF digit with end bit, volume and duration', () => {
    expect(decodeTelephoneEvent(buildTelephoneEvent({ event: 11, end: true, volume: 7, duration: 1280 })))
      .toEqual({ event: 11, name: '#', end: true, reserved: false, volume: 7, duration: 1280 });
  });

  it('names DTMF, flash and fax tones, and leaves unassigned events unnamed', () => {
    expect(['0', '9', '*', 'D', 'Flash', 'ANS', 'CNG', null]).toEqual([0, 9, 10, 15, 16, 32, 36, 200].map(telephoneEventName));
  });

  it('reads the reserved bit separately from the volume', () => {
    expect(decodeTelephoneEvent(Uint8Array.of(5, 0x7f, 0, 160))).toMatchObject({ end: false, reserved: true, volume: 63, duration: 160 });
  });

  it('decodes several events packed in one payload', () => {
    const both = Uint8Array.from([...buildTelephoneEvent({ event: 1, end: true, volume: 10, duration: 800 }), ...buildTelephoneEvent({ event: 2, end: false, volume: 10, duration: 160 })]);
    const r = decodeTelephoneEvents(both);
    expect(Array.isArray(r) && r.map((e) => e.name)).toEqual(['1', '2']);
  });

  it('rejects payloads that are too short or not whole events', () => {
    expect(decodeTelephoneEvent(Uint8Array.of(1, 2, 3))).toMatchObject({ kind: 'decode-error', message: 'telephone-event payload too short: 3 of 4 bytes at offset 0' });
    expect(decodeTelephoneEvents(Uint8Array.of(1, 2, 3, 4, 5))).toMatchObject({ kind: 'decode-error', message: expect.stringContaining('length 5') });
    expect(decodeTelephoneEvents(new Uint8Array(0))).toMatchObject({ kind: 'decode-error' });
  });
});
