/**
 * Streams the frames of a pcapng file (Wireshark's default format): several sections, several
 * interfaces each with its own link type and clock resolution, packet comments kept. Blocks are
 * read one at a time through a FileWindow, so memory does not grow with the file.
 *
 * Damage is reported with its offset and stepped over: a block whose length is impossible or
 * whose trailing length disagrees is skipped by scanning forward for the next block that checks
 * out (known type, sane length, equal trailing length); a block cut off by the end of the file
 * ends the read.
 */
import { isDecodeError } from '../../parsers/decode-error.js';
import {
  decodePcapngBlock, pcapngBlockHead, pcapngSectionOrder, pcapngTimeMs, plausibleBlockLength,
  PCAPNG_KNOWN_BLOCKS, PCAPNG_MIN_BLOCK_BYTES, PCAPNG_SHB, type PcapngInterface,
} from '../../parsers/pcapng.js';
import { MAX_RECORD_BYTES, type CaptureFrame, type IssueSink } from './capture-frame.js';
import type { FileWindow } from './file-window.js';

const SCAN_CHUNK_BYTES = 1024 * 1024;

export async function* readPcapngFrames(win: FileWindow, report: IssueSink): AsyncGenerator<CaptureFrame> {
  let offset = 0;
  let le = true;
  let interfaces: PcapngInterface[] = [];
  let frame = 0;
  while (offset < win.size) {
    const head = Buffer.from(await win.read(offset, 12));
    if (head.length < 8) {
      report({ offset, message: `${head.length} stray bytes at the end of the file (not a block)` });
      return;
    }
    if (head.readUInt32LE(0) === PCAPNG_SHB) {
      const order = pcapngSectionOrder(head);
      if (isDecodeError(order)) {
        offset = await skipDamage(win, offset, `section header: ${order.message}`, report, le);
        continue;
      }
      le = order;
    }
    const { totalLength } = pcapngBlockHead(head, le);
    if (!plausibleBlockLength(totalLength, MAX_RECORD_BYTES)) {
      offset = await skipDamage(win, offset, `block length ${totalLength} is impossible`, report, le);
      continue;
    }
    if (offset + totalLength > win.size) {
      // A cut-off last block, or a length that lies: a good block further on tells them apart.
      const next = await findNextBlock(win, offset + 1, le);
      if (next < win.size) {
        report({ offset, message: `block length ${totalLength} runs past the end of the file; skipped ${next - offset} bytes to the next block at offset ${next}` });
        offset = next;
        continue;
      }
      report({ offset, message: `block of ${totalLength} bytes is cut off: the file ends ${win.size - offset} bytes into it` });
      return;
    }
    const block = await win.read(offset, totalLength);
    const d = decodePcapngBlock(block, le, interfaces[0]?.snapLength ?? 0);
    if (isDecodeError(d)) {
      offset = await skipDamage(win, offset, d.message, report, le);
      continue;
    }
    const at = offset;
    offset += totalLength;
    if (d.kind === 'section') interfaces = [];
    else if (d.kind === 'interface') interfaces.push(d);
    else if (d.kind === 'packet') {
      const i = interfaces[d.interfaceId];
      if (!i) {
        report({ offset: at, message: `packet names interface ${d.interfaceId}, but its section describes ${interfaces.length}` });
        continue;
      }
      frame++;
      yield {
        frame,
        timeMs: d.timestampHigh === null ? 0 : pcapngTimeMs(d.timestampHigh, d.timestampLow!, i),
        linkType: i.linkType,
        data: Buffer.from(d.data),
        originalLength: d.originalLength,
        interface: d.interfaceId,
        ...(d.comments.length > 0 ? { comment: d.comments.join('\n') } : {}),
        offset: at,
      };
    }
  }
}

/** Reports the damage at `offset` and returns where the next good block starts (or the end). */
async function skipDamage(win: FileWindow, offset: number, what: string, report: IssueSink, le: boolean): Promise<number> {
  const next = await findNextBlock(win, offset + 1, le);
  report({ offset, message: `${what}; skipped ${next - offset} bytes${next < win.size ? ` to the next block at offset ${next}` : ' to the end of the file'}` });
  return next;
}

/**
 * The next offset where a block checks out. Blocks of the current section are tried in its byte
 * order only: trying both lets the tail of one block's trailer plus the next block's type read as
 * a big-endian block whose lengths happen to agree. A section header may start either order.
 */
async function findNextBlock(win: FileWindow, from: number, sectionLe: boolean): Promise<number> {
  for (let base = from; base + PCAPNG_MIN_BLOCK_BYTES <= win.size; base += SCAN_CHUNK_BYTES) {
    const chunk = await win.read(base, SCAN_CHUNK_BYTES + 8);
    const last = Math.min(chunk.length - 8, SCAN_CHUNK_BYTES);
    for (let i = 0; i < last; i++) {
      const shb = chunk.readUInt32LE(i) === PCAPNG_SHB;
      for (const le of shb ? [true, false] : [sectionLe]) {
        const type = le ? chunk.readUInt32LE(i) : chunk.readUInt32BE(i);
        if (!PCAPNG_KNOWN_BLOCKS.has(type)) continue;
        const length = le ? chunk.readUInt32LE(i + 4) : chunk.readUInt32BE(i + 4);
        if (!plausibleBlockLength(length, MAX_RECORD_BYTES) || base + i + length > win.size) continue;
        const trailer = await win.read(base + i + length - 4, 4);
        if ((le ? trailer.readUInt32LE(0) : trailer.readUInt32BE(0)) === length) return base + i;
      }
    }
  }
  return win.size;
}
