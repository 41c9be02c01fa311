// A small JSON reader that keeps what JSON.parse throws away.
//
// Why not JSON.parse: it turns 18446744073709551615 into 18446744073709552000, keeps the
// last of two duplicate keys without a word, and recurses natively. Spec §9.1 needs exact
// integers, duplicate keys rejected and a depth bound that cannot crash, so this reader
// is iterative (an explicit stack), gives integers as BigInt, and reports duplicates.
//
// Values: objects are Map (insertion order, no prototype surprises), arrays are Array,
// integer tokens are BigInt, other numbers are JsonFloat, then string, boolean, null.

export class JsonSyntaxError extends Error {}

/** A number token with a fraction or an exponent (or NaN/Infinity when allowed). */
export class JsonFloat {
  constructor(text, value) {
    this.text = text;
    this.value = value;
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;
const ESCAPES = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const HEX4 = /^[0-9a-fA-F]{4}$/;

/**
 * Parse `text`.
 * - `maxDepth`: containers nested deeper than this are a JsonSyntaxError (top level = 1).
 * - `duplicateKeys`: "reject" (spec §9.1) or "last" (what Python's json does, for requests).
 * - `constants`: accept NaN / Infinity / -Infinity as JsonFloat (Python's json.dumps emits them).
 */
export function parseJson(text, options = {}) {
  const { maxDepth = Infinity, duplicateKeys = 'reject', constants = false } = options;
  return new Reader(text, maxDepth, duplicateKeys === 'reject', constants).document();
}

class Reader {
  constructor(text, maxDepth, rejectDuplicates, constants) {
    this.text = text;
    this.pos = 0;
    this.maxDepth = maxDepth;
    this.rejectDuplicates = rejectDuplicates;
    this.constants = constants;
  }

  fail(what) {
    throw new JsonSyntaxError(`${what} at offset ${this.pos}`);
  }

  skipWhitespace() {
    WHITESPACE.lastIndex = this.pos;
    WHITESPACE.test(this.text);
    this.pos = WHITESPACE.lastIndex;
  }

  document() {
    // Containers still open, innermost last: {container, key} (key: the pending object key).
    const stack = [];
    for (;;) {
      this.skipWhitespace();
      let value;
      const c = this.text[this.pos];
      if (c === '{' || c === '[') {
        if (stack.length + 1 > this.maxDepth) this.fail('nesting too deep');
        this.pos += 1;
        this.skipWhitespace();
        const frame = { container: c === '{' ? new Map() : [], key: null };
        const close = c === '{' ? '}' : ']';
        if (this.text[this.pos] !== close) {
          if (c === '{') frame.key = this.objectKey();
          stack.push(frame);
          continue; // read the first member's value
        }
        this.pos += 1;
        value = frame.container;
      } else {
        value = this.scalar();
      }
      // A value is complete: attach it to its parent and close every container it ends.
      for (;;) {
        const frame = stack.at(-1);
        if (frame === undefined) {
          this.skipWhitespace();
          if (this.pos !== this.text.length) this.fail('trailing characters');
          return value;
        }
        this.attach(frame, value);
        this.skipWhitespace();
        const isObject = frame.container instanceof Map;
        const c2 = this.text[this.pos];
        if (c2 === ',') {
          this.pos += 1;
          if (isObject) {
            this.skipWhitespace();
            frame.key = this.objectKey();
          }
          break; // read the next member's value
        }
        if (c2 !== (isObject ? '}' : ']')) this.fail('expected , or a closing bracket');
        this.pos += 1;
        stack.pop();
        value = frame.container;
      }
    }
  }

  attach(frame, value) {
    if (Array.isArray(frame.container)) {
      frame.container.push(value);
      return;
    }
    if (this.rejectDuplicates && frame.container.has(frame.key)) this.fail('duplicate key');
    frame.container.set(frame.key, value);
  }

  /** `"key"` then `:`; leaves the position before the value. */
  objectKey() {
    if (this.text[this.pos] !== '"') this.fail('expected a string key');
    const key = this.string();
    this.skipWhitespace();
    if (this.text[this.pos] !== ':') this.fail('expected :');
    this.pos += 1;
    return key;
  }

  scalar() {
    const t = this.text;
    const c = t[this.pos];
    if (c === '"') return this.string();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]]) {
      if (t.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    if (this.constants) {
      const words = [['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]];
      for (const [word, value] of words) {
        if (t.startsWith(word, this.pos)) {
          this.pos += word.length;
          return new JsonFloat(word, value);
        }
      }
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(t);
    if (m === null) this.fail('expected a value');
    this.pos = NUMBER.lastIndex;
    // "-0" is not an unsigned integer: serde_json reads it as the float -0.0 (spec §9.1)
    if (m[1] === undefined && m[2] === undefined && m[0] !== '-0') return BigInt(m[0]);
    return new JsonFloat(m[0], Number(m[0]));
  }

  string() {
    const t = this.text;
    let i = this.pos + 1;
    let out = '';
    let runStart = i;
    for (;;) {
      if (i >= t.length) {
        this.pos = i;
        this.fail('unterminated string');
      }
      const code = t.charCodeAt(i);
      if (code === 0x22) break;
      if (code < 0x20) {
        this.pos = i;
        this.fail('control character in string');
      }
      if (code !== 0x5c) {
        i += 1;
        continue;
      }
      out += t.slice(runStart, i);
      const e = t[i + 1];
      if (e === 'u') {
        const hex = t.slice(i + 2, i + 6);
        if (!HEX4.test(hex)) {
          this.pos = i;
          this.fail('bad \\u escape');
        }
        // Surrogate halves are kept as UTF-16 code units: a valid pair joins by itself.
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (e !== undefined && Object.hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
        i += 2;
      } else {
        this.pos = i;
        this.fail('bad escape');
      }
      runStart = i;
    }
    out += t.slice(runStart, i);
    this.pos = i + 1;
    return out;
  }
}

/** Serialise a response: like JSON.stringify, but BigInt is written as its digits. */
export function toJson(value) {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof JsonFloat) return Number.isFinite(value.value) ? value.text : 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  const entries = value instanceof Map ? [...value] : Object.entries(value);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
}
