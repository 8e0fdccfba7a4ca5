/**
 * Address bytes → text, read straight from the datagram (no intermediate arrays), in the forms
 * tshark prints: dotted quad, and RFC 5952 compressed lower-case IPv6 (inet_ntop style).
 */

export function ipv4Text(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

export function ipv6Text(b: Uint8Array, o: number): string {
  // RFC 5952: compress the longest run (first on a tie) of two or more zero groups.
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let g = 0; g <= 8; g++) {
    const zero = g < 8 && b[o + 2 * g] === 0 && b[o + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
    } else if (runStart >= 0) {
      if (g - runStart > bestLen) {
        bestStart = runStart;
        bestLen = g - runStart;
      }
      runStart = -1;
    }
  }
  // Embedded IPv4 as inet_ntop (and so tshark) prints it: "::a.b.c.d" when exactly the first 96
  // bits are zero, "::ffff:a.b.c.d" for IPv4-mapped addresses.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && b[o + 10] === 0xff && b[o + 11] === 0xff))) {
    return `${bestLen === 6 ? '::' : '::ffff:'}${ipv4Text(b, o + 12)}`;
  }
  let text = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      text += '::';
      g += bestLen - 1;
      continue;
    }
    if (text !== '' && !text.endsWith(':')) text += ':';
    text += (((b[o + 2 * g] ?? 0) << 8) | (b[o + 2 * g + 1] ?? 0)).toString(16);
  }
  return text;
}
