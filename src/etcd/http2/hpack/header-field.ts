/**
 * One header field of an HPACK block. Names and values are latin1 strings, one character per
 * octet, so any octets survive a decode and re-encode unchanged.
 */
export interface HeaderField {
  /** The field name (lower case in HTTP/2). */
  readonly name: string;
  /** The field value. */
  readonly value: string;
  /** Sent as "never indexed" (RFC 7541 §6.2.3): re-encoders must keep it so. */
  readonly neverIndex?: boolean;
}

/** The octets a field counts for in the dynamic table and header list sizes (RFC 7541 §4.1). */
export function fieldSize(f: HeaderField): number {
  return f.name.length + f.value.length + 32;
}
