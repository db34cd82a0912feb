import { Http2InputError } from '../errors.js';
import { DynamicTable } from './dynamic-table.js';
import { fieldSize, type HeaderField } from './header-field.js';
import { readInteger, readString } from './primitives.js';
import { STATIC_TABLE } from './static-table.js';

/** Bounds of an {@link HpackDecoder}. */
export interface HpackDecoderOptions {
  /** The largest dynamic table size a size update may set (the peer's SETTINGS_HEADER_TABLE_SIZE or more). Default 65536. */
  maxTableSize?: number;
  /** The largest decoded header list, in RFC 7541 §4.1 octets (name + value + 32 per field). Default 256 KiB. */
  maxHeaderListSize?: number;
}

/**
 * An HPACK decoder (RFC 7541): decodes one header block after another of one direction of one
 * connection, keeping the dynamic table the peer's encoder assumes. Every malformed block is
 * refused with an {@link Http2InputError}; after one, the decoder's state is unusable (as the
 * connection's: HTTP/2 makes it a connection error).
 */
export class HpackDecoder {
  /** The dynamic table, as the peer's encoder sees it. */
  readonly table = new DynamicTable();
  private readonly maxTableSize: number;
  private readonly maxListSize: number;
  private sizeUpdates: number[] = [];

  /** @param options - bounds. */
  constructor(options: HpackDecoderOptions = {}) {
    this.maxTableSize = options.maxTableSize ?? 65536;
    this.maxListSize = options.maxHeaderListSize ?? 256 * 1024;
  }

  /**
   * Decodes one complete header block.
   * @param block - the block (all of a HEADERS frame's fragment and its CONTINUATIONs).
   * @returns the header fields in order.
   */
  decode(block: Uint8Array): HeaderField[] {
    const fields: HeaderField[] = [];
    this.sizeUpdates = [];
    let listSize = 0;
    let pos = 0;
    while (pos < block.length) {
      const b = block[pos] ?? 0;
      let field: HeaderField;
      if ((b & 0x80) !== 0) {
        const index = readInteger(block, pos, 7);
        field = this.lookup(index.value);
        pos = index.next;
      } else if ((b & 0xc0) === 0x40) {
        const lit = this.readLiteral(block, pos, 6, false);
        field = lit.value;
        pos = lit.next;
        this.table.add(field);
      } else if ((b & 0xe0) === 0x20) {
        if (fields.length > 0) throw new Http2InputError('hpack', 'HPACK: dynamic table size update after a header field');
        const size = readInteger(block, pos, 5);
        if (size.value > this.maxTableSize) throw new Http2InputError('hpack', `HPACK: table size update to ${String(size.value)} above ${String(this.maxTableSize)}`);
        this.table.setMaxSize(size.value);
        this.sizeUpdates.push(size.value);
        pos = size.next;
        continue;
      } else {
        const lit = this.readLiteral(block, pos, 4, (b & 0xf0) === 0x10);
        field = lit.value;
        pos = lit.next;
      }
      listSize += fieldSize(field);
      if (listSize > this.maxListSize) throw new Http2InputError('too_large', `HPACK: header list larger than ${String(this.maxListSize)} octets`);
      fields.push(field);
    }
    return fields;
  }

  /** The dynamic table size updates at the start of the last block decoded, in order (a re-encoder forwards them). */
  get lastTableSizeUpdates(): readonly number[] {
    return this.sizeUpdates;
  }

  private lookup(index: number): HeaderField {
    const f = index === 0 ? undefined : index <= STATIC_TABLE.length ? STATIC_TABLE[index - 1] : this.table.get(index - STATIC_TABLE.length);
    if (f === undefined) throw new Http2InputError('hpack', `HPACK: index ${String(index)} is not in the tables`);
    return f;
  }

  private readLiteral(block: Uint8Array, pos: number, prefixBits: number, neverIndex: boolean): { value: HeaderField; next: number } {
    const nameIndex = readInteger(block, pos, prefixBits);
    let next = nameIndex.next;
    let name: string;
    if (nameIndex.value === 0) {
      const n = readString(block, next);
      name = n.value;
      next = n.next;
    } else {
      name = this.lookup(nameIndex.value).name;
    }
    const value = readString(block, next);
    return { value: neverIndex ? { name, value: value.value, neverIndex } : { name, value: value.value }, next: value.next };
  }
}
