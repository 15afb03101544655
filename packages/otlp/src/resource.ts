// Resource and InstrumentationScope, shared by the three signals' protobuf decoders.
import type { Reader } from '@pivot/protobuf';
import type { Attributes, Resource, Scope } from '@pivot/model';
import type { Limits } from './options.ts';
import { takeAttribute } from './anyvalue.ts';
import { LEN, VARINT, badWire, readString, skipField } from './wire.ts';

export function readResource(r: Reader, lim: Limits): Resource {
  const outer = r.enter();
  const attributes: Attributes = {};
  let kept = 0;
  let dropped = 0;
  let sentDropped = 0;
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'Resource.attributes');
        if (takeAttribute(r, attributes, kept, lim)) kept++;
        else dropped++;
        break;
      case 2:
        if ((k & 7) !== VARINT) badWire(r, k, VARINT, 'Resource.dropped_attributes_count');
        sentDropped = r.uint32();
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return { attributes, droppedAttributesCount: sentDropped + dropped };
}

export function emptyResource(): Resource {
  return { attributes: {}, droppedAttributesCount: 0 };
}

export function readScope(r: Reader, lim: Limits): Scope {
  const outer = r.enter();
  let name = '';
  let version = '';
  const attributes: Attributes = {};
  let kept = 0;
  while (r.pos < r.end) {
    const k = r.tag();
    switch (k >>> 3) {
      case 1:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'InstrumentationScope.name');
        name = readString(r);
        break;
      case 2:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'InstrumentationScope.version');
        version = readString(r);
        break;
      case 3:
        if ((k & 7) !== LEN) badWire(r, k, LEN, 'InstrumentationScope.attributes');
        // The model's Scope has no dropped count, so extras are dropped silently.
        if (takeAttribute(r, attributes, kept, lim)) kept++;
        break;
      default:
        skipField(r, k);
    }
  }
  r.leave(outer);
  return { name, version, attributes };
}

export function emptyScope(): Scope {
  return { name: '', version: '', attributes: {} };
}
