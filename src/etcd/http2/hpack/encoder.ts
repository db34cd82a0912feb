import type { HeaderField } from './header-field.js';
import { writeInteger, writeString } from './primitives.js';
import { STATIC_FIELD_INDEX, STATIC_NAME_INDEX } from './static-table.js';

/**
 * A stateless HPACK encoder (RFC 7541): it never adds to the dynamic table, so the peer's decoder
 * table stays as it was and blocks can be re-encoded one at a time with no shared state. A field
 * of the static table is sent indexed (§6.1); any other as a literal without indexing (§6.2.2),
 * or never indexed (§6.2.3) when it was received so, naming it by static index when the static
 * table has the name.
 * @param fields - the header fields in order.
 * @param huffman - Huffman-code strings when that is shorter. Default `true`.
 * @param tableSizeUpdates - dynamic table size updates to signal first (§6.3), e.g. those of the
 *   block being re-encoded, so the peer's decoder follows the original encoder's table size.
 * @returns the header block.
 */
export function encodeHeaderBlock(fields: readonly HeaderField[], huffman = true, tableSizeUpdates: readonly number[] = []): Buffer {
  const out: number[] = [];
  for (const size of tableSizeUpdates) writeInteger(out, size, 5, 0x20);
  for (const f of fields) {
    const exact = f.neverIndex === true ? undefined : STATIC_FIELD_INDEX.get(`${f.name}\0${f.value}`);
    if (exact !== undefined) {
      writeInteger(out, exact, 7, 0x80);
      continue;
    }
    const flags = f.neverIndex === true ? 0x10 : 0x00;
    const nameIndex = STATIC_NAME_INDEX.get(f.name);
    if (nameIndex === undefined) {
      writeInteger(out, 0, 4, flags);
      writeString(out, f.name, huffman);
    } else {
      writeInteger(out, nameIndex, 4, flags);
    }
    writeString(out, f.value, huffman);
  }
  return Buffer.from(out);
}
