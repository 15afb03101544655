// Skips an unknown protobuf field. Not Reader.skip: its length-delimited case evaluates `this.pos`
// before `this.len()` moves it, landing short by the size of the length varint, and its group case
// recurses without bound (a stack overflow is not a typed error).
import { ProtobufError, WireType } from '@pivot/protobuf';
import type { Reader } from '@pivot/protobuf';

const MAX_GROUP_DEPTH = 32;

export function skipField(r: Reader, wireType: number, depth = 0): void {
  if (wireType === WireType.LEN) {
    const n = r.len();
    r.pos += n;
    return;
  }
  if (wireType === WireType.SGROUP) {
    if (depth >= MAX_GROUP_DEPTH) throw new ProtobufError('groups nested too deeply', r.pos);
    for (;;) {
      if (r.eof()) throw new ProtobufError('unterminated group', r.pos);
      const key = r.tag();
      if ((key & 7) === WireType.EGROUP) return;
      skipField(r, key & 7, depth + 1);
    }
  }
  if (wireType === WireType.EGROUP) throw new ProtobufError('end of group without a start', r.pos);
  r.skip(wireType);
}
