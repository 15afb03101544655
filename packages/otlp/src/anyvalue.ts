// OTLP AnyValue/KeyValue from protobuf into the model's JSON-shaped AttrValue. Recursion is one level per
// nesting level and is refused beyond Limits.maxDepth (itself capped), so input cannot drive the stack.
import { ProtobufError, type Reader } from '@pivot/protobuf';
import type { AttrValue, Attributes } from '@pivot/model';
import type { Limits } from './options.ts';
import { toBase64 } from './hex.ts';
import { I64, LEN, VARINT, badWire, int64Value, readString, readStringMax, skipField, skipLen } from './wire.ts';

/** Assigns without letting a key named `__proto__` replace the object's prototype. */
export function setAttr(o: Record<string, AttrValue>, key: string, v: AttrValue): void {
  if (key === '__proto__')
    Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
  else o[key] = v;
}

/**
 * Reads one occurrence of a repeated KeyValue field into `attrs` when `kept` is under the limit, else
 * skips it. Returns whether it was kept so callers can count kept and dropped attributes.
 */
export function takeAttribute(r: Reader, attrs: Attributes, kept: number, lim: Limits): boolean {
  if (kept >= lim.maxAttributes) {
    skipLen(r);
    return false;
  }
  readKeyValue(r, attrs, lim, lim.maxAttributeValueLength, 1);
  return true;
}

export function readKeyValue(
  r: Reader,
  into: Record<string, AttrValue>,
  lim: Limits,
  maxLen: number,
  depth: number,
): void {
  const outer = r.enter();
  let key = '';
  let value: AttrValue = null;
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'KeyValue.key');
        key = readString(r);
        break;
      case 2:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'KeyValue.value');
        value = readAnyValue(r, lim, maxLen, depth);
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  setAttr(into, key, value);
}

/** Reads a length-delimited AnyValue; `depth` is 1 for a top-level attribute value or log body. */
export function readAnyValue(r: Reader, lim: Limits, maxLen: number, depth: number): AttrValue {
  if (depth > lim.maxDepth) throw new ProtobufError(`AnyValue nested deeper than ${lim.maxDepth} levels`, r.pos);
  const outer = r.enter();
  let v: AttrValue = null;
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'AnyValue.string_value');
        v = readStringMax(r, maxLen);
        break;
      case 2:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'AnyValue.bool_value');
        v = r.bool();
        break;
      case 3:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'AnyValue.int_value');
        v = int64Value(r);
        break;
      case 4:
        if ((k & 7) !== I64) badWire(r, k, I64, 'AnyValue.double_value');
        v = r.double();
        break;
      case 5: {
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'AnyValue.array_value');
        const arr: AttrValue[] = [];
        const o = r.enter();
        while (r.pos < r.end) {
          const k2 = r.tag();
          if (k2 >>> 3 === 1) {
            if ((k2 & 7) !== LEN) badWire(r, k2, LEN, 'ArrayValue.values');
            arr.push(readAnyValue(r, lim, maxLen, depth + 1));
          } else skipField(r, k2);
        }
        r.leave(o);
        v = arr;
        break;
      }
      case 6: {
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'AnyValue.kvlist_value');
        const obj: Record<string, AttrValue> = {};
        const o = r.enter();
        while (r.pos < r.end) {
          const k2 = r.tag();
          if (k2 >>> 3 === 1) {
            if ((k2 & 7) !== LEN) badWire(r, k2, LEN, 'KeyValueList.values');
            readKeyValue(r, obj, lim, maxLen, depth + 1);
          } else skipField(r, k2);
        }
        r.leave(o);
        v = obj;
        break;
      }
      case 7: {
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'AnyValue.bytes_value');
        const n = r.len();
        const start = r.pos;
        r.pos += n;
        // Encode only as many bytes as survive truncation of the base64 text.
        const keep = Math.min(n, Math.floor(maxLen / 4) * 3);
        v = toBase64(r.buf, start, start + keep);
        break;
      }
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return v;
}
