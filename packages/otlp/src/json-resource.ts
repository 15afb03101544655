// Resource and InstrumentationScope from OTLP/JSON, shared by the three signals.
import type { Attributes, Resource, Scope } from '@pivot/model';
import type { JsonCtx, JsonObject } from './json.ts';

export function jsonResource(c: JsonCtx, parent: JsonObject): Resource {
  const o = c.obj(parent, 'resource', 'resource');
  if (o === null) return { attributes: {}, droppedAttributesCount: 0 };
  c.push('resource');
  const attributes: Attributes = {};
  const dropped = c.attributes(o, 'attributes', 'attributes', attributes);
  const sent = c.int32(o, 'droppedAttributesCount', 'dropped_attributes_count', false);
  c.pop();
  return { attributes, droppedAttributesCount: sent + dropped };
}

export function jsonScope(c: JsonCtx, parent: JsonObject): Scope {
  const o = c.obj(parent, 'scope', 'scope');
  if (o === null) return { name: '', version: '', attributes: {} };
  c.push('scope');
  const attributes: Attributes = {};
  c.attributes(o, 'attributes', 'attributes', attributes);
  const scope = { name: c.str(o, 'name', 'name'), version: c.str(o, 'version', 'version'), attributes };
  c.pop();
  return scope;
}
