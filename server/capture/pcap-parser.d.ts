/** Types for `pcap-parser` 0.2 (it ships none): a classic-pcap reader emitting events from a stream. */
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';

  export interface PcapGlobalHeader {
    readonly magicNumber: number;
    readonly majorVersion: number;
    readonly minorVersion: number;
    readonly gmtOffset: number;
    readonly timestampAccuracy: number;
    readonly snapshotLength: number;
    readonly linkLayerType: number;
  }

  export interface PcapPacket {
    readonly header: {
      readonly timestampSeconds: number;
      readonly timestampMicroseconds: number;
      readonly capturedLength: number;
      readonly originalLength: number;
    };
    readonly data: Buffer;
  }

  export interface PcapParser extends EventEmitter {
    /** The file's read stream; pausing it pauses packet events after the current chunk. */
    readonly stream: Readable;
    /** Bytes received but not yet parsed (a cut-off last packet leaves some here at 'end'). */
    readonly buffer: Buffer | null;
    on(event: 'globalHeader', listener: (header: PcapGlobalHeader) => void): this;
    on(event: 'packetHeader', listener: (header: PcapPacket['header']) => void): this;
    on(event: 'packet', listener: (packet: PcapPacket) => void): this;
    on(event: 'end', listener: () => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
  }

  export function parse(input: string | Readable): PcapParser;
}
