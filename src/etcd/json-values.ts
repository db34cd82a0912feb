/**
 * Splits a stream of text into consecutive JSON values, as Go's `json.Decoder` reads a request
 * body of several messages (the JSON gateway's streaming calls: `{"ID":"1"} {"ID":"2"}`).
 * @module
 */
import { RaftkitError } from '../errors.js';

/** A body that is not a sequence of JSON objects: the message is Go's decoder's, for clients that match on it. */
export class JsonValuesError extends RaftkitError {
  /** @param message - what is wrong, as Go's decoder says it. */
  constructor(message: string) {
    super('ERR_JSON_BODY', message);
  }
}

/** What a top-level value that is not an object is called in Go's "cannot unmarshal" message. */
const KIND: Readonly<Record<string, string>> = { '[': 'array', '"': 'string', t: 'bool', f: 'bool', n: 'null' };

/**
 * Consecutive JSON objects of a body, fed chunk by chunk: each complete object's text is handed
 * out as soon as its closing brace arrives, so a streaming call runs each request as it comes.
 * Only the value being read is buffered, up to `maxValueChars`.
 */
export class JsonValues {
  readonly #maxValueChars: number;
  /** The text of the value being read. */
  #value = '';
  #depth = 0;
  #inString = false;
  #escaped = false;

  /** @param maxValueChars - the longest value taken; a longer one is refused. */
  constructor(maxValueChars: number) {
    this.#maxValueChars = maxValueChars;
  }

  /**
   * Reads `chunk`: the objects it completed, parsed, in order, and the error that stopped the
   * reading, if any (text that is not a JSON object where one begins, with Go's messages, or a
   * value longer than the limit). After an error the rest of the body is not read.
   */
  feed(chunk: string): { values: unknown[]; error?: JsonValuesError } {
    const values: unknown[] = [];
    const fail = (message: string): { values: unknown[]; error: JsonValuesError } => ({ values, error: new JsonValuesError(message) });
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.#depth === 0 && this.#value === '' && start === i) {
        if (c === ' ' || c === '\n' || c === '\r' || c === '\t') {
          start = i + 1;
          continue;
        }
        if (c !== '{') {
          return fail(c in KIND || c === '-' || (c >= '0' && c <= '9')
            ? `json: cannot unmarshal ${KIND[c] ?? 'number'} into Go value of type map[string]json.RawMessage`
            : `invalid character '${c}' looking for beginning of value`);
        }
      }
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === '\\') this.#escaped = true;
        else if (c === '"') this.#inString = false;
        continue;
      }
      if (c === '"') this.#inString = true;
      else if (c === '{' || c === '[') this.#depth++;
      else if ((c === '}' || c === ']') && --this.#depth === 0) {
        const text = this.#value + chunk.slice(start, i + 1);
        this.#value = '';
        start = i + 1;
        try {
          values.push(JSON.parse(text));
        } catch (e) {
          return fail(e instanceof Error ? e.message : String(e));
        }
      }
    }
    this.#value += chunk.slice(start);
    if (this.#value.length > this.#maxValueChars) return fail(`a JSON value longer than ${String(this.#maxValueChars)} characters`);
    return { values };
  }

  /**
   * The body ended.
   *
   * @throws JsonValuesError "unexpected EOF" when a value was cut short, as Go's decoder says.
   */
  end(): void {
    if (this.#value.trim() !== '') throw new JsonValuesError('unexpected EOF');
  }
}
