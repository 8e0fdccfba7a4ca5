/**
 * What every decoder returns instead of throwing: bad input is data, not an exception.
 * `format` names the decoder (as tshark names the protocol), `offset` is the byte (or line) where
 * decoding stopped, so a user can find it in a hex dump.
 */
export interface DecodeError {
  readonly kind: 'decode-error';
  readonly format: string;
  readonly message: string;
  readonly offset?: number;
}

export function decodeError(format: string, message: string, offset?: number): DecodeError {
  return offset === undefined ? { kind: 'decode-error', format, message } : { kind: 'decode-error', format, message, offset };
}

export function isDecodeError(value: unknown): value is DecodeError {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'decode-error';
}
