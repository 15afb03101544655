// Shared machinery for the OTLP/JSON decoders: body parsing, field lookup under both lowerCamelCase and
// snake_case names (the spec asks receivers to accept both), the protobuf-JSON scalar rules (int64 as
// string or number, enums as integers or names, NaN/Infinity as strings) and AnyValue. Every shape error
// names the path of the offending field.
import type { AttrValue, Attributes, UnixNano } from '@pivot/model';
import { setAttr } from './anyvalue.ts';
import { OtlpDecodeError } from './errors.ts';
import type { Limits } from './options.ts';
import { truncate } from './wire.ts';

export type JsonObject = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function parseJsonBody(body: string | Uint8Array, what: string): unknown {
  let text = typeof body === 'string' ? body : utf8.decode(body);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8 quotes part of the body in some messages; keep what goes back to the client short.
    let msg = e instanceof Error ? e.message : String(e);
    if (msg.length > 200) msg = `${msg.slice(0, 200)}…`;
    const m = /position (\d+)/.exec(msg);
    const at = m ? Number(m[1]) : /end of JSON input/.test(msg) ? text.length : null;
    throw new OtlpDecodeError(`invalid JSON in ${what}: ${msg}`, at);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

const INT_RE = /^-?\d+$/;
const MAX_U64 = (1n << 64n) - 1n;
const MIN_I64 = -(1n << 63n);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Path-aware accessors; one per request, with the path kept as a stack of (name, index) pairs. */
export class JsonCtx {
  private readonly path: (string | number)[] = [];

  constructor(
    readonly lim: Limits,
    private readonly root: string,
  ) {}

  push(name: string, index = -1): void {
    this.path.push(name, index);
  }
  at(index: number): void {
    this.path[this.path.length - 1] = index;
  }
  pop(): void {
    this.path.length -= 2;
  }

  where(field?: string): string {
    let s = this.root;
    for (let i = 0; i < this.path.length; i += 2) {
      s += `.${this.path[i] as string}`;
      const idx = this.path[i + 1] as number;
      if (idx >= 0) s += `[${idx}]`;
    }
    return field === undefined ? s : `${s}.${field}`;
  }

  fail(field: string | undefined, msg: string): never {
    throw new OtlpDecodeError(`${this.where(field)}: ${msg}`);
  }

  /** The request body itself must be an object. */
  rootObject(v: unknown): JsonObject {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new OtlpDecodeError(`${this.root}: expected a JSON object, got ${describe(v)}`);
    return v as JsonObject;
  }

  obj(o: JsonObject, camel: string, snake: string): JsonObject | null {
    const v = o[camel] ?? o[snake];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(camel, `expected an object, got ${describe(v)}`);
    return v as JsonObject;
  }

  arr(o: JsonObject, camel: string, snake: string): unknown[] {
    const v = o[camel] ?? o[snake];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(camel, `expected an array, got ${describe(v)}`);
    return v;
  }

  /** An array element that must be an object; `i` is already on the path. */
  elem(v: unknown): JsonObject {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      this.fail(undefined, `expected an object, got ${describe(v)}`);
    return v as JsonObject;
  }

  str(o: JsonObject, camel: string, snake: string): string {
    const v = o[camel] ?? o[snake];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') this.fail(camel, `expected a string, got ${describe(v)}`);
    return v;
  }

  bool(o: JsonObject, camel: string, snake: string): boolean {
    const v = o[camel] ?? o[snake];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') this.fail(camel, `expected a boolean, got ${describe(v)}`);
    return v;
  }

  /** int64/uint64 as bigint; protobuf JSON writes them as decimal strings but numbers are accepted. */
  bigint(o: JsonObject, camel: string, snake: string, signed: boolean): bigint {
    const v = o[camel] ?? o[snake];
    if (v === undefined || v === null) return 0n;
    return this.toBigint(v, camel, signed);
  }

  private toBigint(v: unknown, field: string, signed: boolean): bigint {
    let n: bigint;
    if (typeof v === 'string' && INT_RE.test(v)) {
      // BigInt parsing is super-linear in the digit count, and no 64-bit value needs more than 20 digits.
      if (v.length > 21) this.fail(field, `${v.slice(0, 24)}… is out of range for a 64-bit integer`);
      n = BigInt(v);
    } else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
    else
      return this.fail(
        field,
        `expected an integer or a decimal string, got ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : describe(v)}`,
      );
    if (signed ? n < MIN_I64 || n > MAX_U64 >> 1n : n < 0n || n > MAX_U64)
      this.fail(field, `${n} is out of range for a 64-bit integer`);
    return n;
  }

  nanos(o: JsonObject, camel: string, snake: string): UnixNano {
    return this.bigint(o, camel, snake, false) as UnixNano;
  }

  /** uint64 counts as numbers (exact below 2^53). */
  count(o: JsonObject, camel: string, snake: string): number {
    const v = o[camel] ?? o[snake];
    if (v === undefined || v === null) return 0;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
    return Number(this.toBigint(v, camel, false));
  }

  /** uint32/int32/fixed32 fields; numbers or decimal strings. */
  int32(o: JsonObject, camel: string, snake: string, signed: boolean): number {
    const v = o[camel] ?? o[snake];
    if (v === undefined || v === null) return 0;
    const n = typeof v === 'number' ? v : typeof v === 'string' && INT_RE.test(v) ? Number(v) : NaN;
    const ok = Number.isInteger(n) && (signed ? n >= -(2 ** 31) && n < 2 ** 31 : n >= 0 && n < 2 ** 32);
    if (!ok)
      this.fail(
        camel,
        `expected a ${signed ? '' : 'non-negative '}32-bit integer, got ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : describe(v)}`,
      );
    return n;
  }

  /** Enums are integers in OTLP/JSON; the protobuf JSON names are accepted as well. */
  enumValue(o: JsonObject, camel: string, snake: string, names: Readonly<Record<string, number>>): number {
    const v = o[camel] ?? o[snake];
    if (typeof v === 'string' && Object.hasOwn(names, v)) return names[v]!;
    return this.int32(o, camel, snake, true);
  }

  double(o: JsonObject, camel: string, snake: string): number {
    const v = o[camel] ?? o[snake];
    if (v === undefined || v === null) return 0;
    return this.toDouble(v, camel);
  }

  optDouble(o: JsonObject, camel: string, snake: string): number | null {
    const v = o[camel] ?? o[snake];
    if (v === undefined || v === null) return null;
    return this.toDouble(v, camel);
  }

  toDouble(v: unknown, field: string): number {
    if (typeof v === 'number') return v;
    if (typeof v === 'string') {
      if (v === 'NaN') return NaN;
      if (v === 'Infinity') return Infinity;
      if (v === '-Infinity') return -Infinity;
      const n = Number(v);
      if (v.trim() !== '' && !Number.isNaN(n)) return n;
    }
    return this.fail(
      field,
      `expected a number, got ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : describe(v)}`,
    );
  }

  /** Packed repeated numbers: an array of numbers (or numeric strings). */
  doubles(o: JsonObject, camel: string, snake: string): number[] {
    const a = this.arr(o, camel, snake);
    const out = new Array<number>(a.length);
    for (let i = 0; i < a.length; i++) out[i] = this.toDouble(a[i], `${camel}[${i}]`);
    return out;
  }

  counts(o: JsonObject, camel: string, snake: string): number[] {
    const a = this.arr(o, camel, snake);
    const out = new Array<number>(a.length);
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      out[i] =
        typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : Number(this.toBigint(v, `${camel}[${i}]`, false));
    }
    return out;
  }

  /** An entity's repeated KeyValue field into `into`; returns how many the attribute limit dropped. */
  attributes(o: JsonObject, camel: string, snake: string, into: Attributes): number {
    const a = this.arr(o, camel, snake);
    const max = this.lim.maxAttributes;
    const n = Math.min(a.length, max);
    this.push(camel);
    for (let i = 0; i < n; i++) {
      this.at(i);
      this.keyValue(a[i], into, this.lim.maxAttributeValueLength, 1);
    }
    this.pop();
    return a.length - n;
  }

  private keyValue(v: unknown, into: Record<string, AttrValue>, maxLen: number, depth: number): void {
    const kv = this.elem(v);
    const key = this.str(kv, 'key', 'key');
    const value = kv.value;
    if (value === undefined || value === null) {
      setAttr(into, key, null);
      return;
    }
    this.push('value');
    setAttr(into, key, this.anyValue(value, maxLen, depth));
    this.pop();
  }

  /**
   * The AnyValue at the current path (callers push its field name first); `depth` is 1 for a top-level
   * attribute value or log body.
   */
  anyValue(v: unknown, maxLen: number, depth: number): AttrValue {
    if (depth > this.lim.maxDepth) this.fail(undefined, `AnyValue nested deeper than ${this.lim.maxDepth} levels`);
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      this.fail(undefined, `expected an AnyValue object, got ${describe(v)}`);
    const o = v as JsonObject;
    let x: unknown;
    if ((x = o.stringValue ?? o.string_value) !== undefined && x !== null) {
      if (typeof x !== 'string') this.fail('stringValue', `expected a string, got ${describe(x)}`);
      return truncate(x, maxLen);
    }
    if ((x = o.boolValue ?? o.bool_value) !== undefined && x !== null) {
      if (typeof x !== 'boolean') this.fail('boolValue', `expected a boolean, got ${describe(x)}`);
      return x;
    }
    if ((x = o.intValue ?? o.int_value) !== undefined && x !== null) {
      if (typeof x === 'number' && Number.isSafeInteger(x)) return x;
      const n = this.toBigint(x, 'intValue', true);
      return n <= MAX_SAFE && n >= -MAX_SAFE ? Number(n) : n.toString();
    }
    if ((x = o.doubleValue ?? o.double_value) !== undefined && x !== null) return this.toDouble(x, 'doubleValue');
    if ((x = o.arrayValue ?? o.array_value) !== undefined && x !== null) {
      if (typeof x !== 'object' || Array.isArray(x)) this.fail('arrayValue', `expected an object, got ${describe(x)}`);
      this.push('arrayValue');
      const values = this.arr(x as JsonObject, 'values', 'values');
      const out: AttrValue[] = new Array<AttrValue>(values.length);
      this.push('values');
      for (let i = 0; i < values.length; i++) {
        this.at(i);
        out[i] = this.anyValue(values[i], maxLen, depth + 1);
      }
      this.pop();
      this.pop();
      return out;
    }
    if ((x = o.kvlistValue ?? o.kvlist_value) !== undefined && x !== null) {
      if (typeof x !== 'object' || Array.isArray(x)) this.fail('kvlistValue', `expected an object, got ${describe(x)}`);
      this.push('kvlistValue');
      const values = this.arr(x as JsonObject, 'values', 'values');
      const out: Record<string, AttrValue> = {};
      this.push('values');
      for (let i = 0; i < values.length; i++) {
        this.at(i);
        this.keyValue(values[i], out, maxLen, depth + 1);
      }
      this.pop();
      this.pop();
      return out;
    }
    if ((x = o.bytesValue ?? o.bytes_value) !== undefined && x !== null) {
      if (typeof x !== 'string' || !BASE64_RE.test(x)) this.fail('bytesValue', 'expected a base64 string');
      return truncate(x, Math.floor(maxLen / 4) * 4);
    }
    return null;
  }
}

const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;
