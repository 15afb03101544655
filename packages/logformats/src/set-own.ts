// Attribute names come from the network, and JSON.parse makes "__proto__" an ordinary own key: plain
// assignment would instead replace the prototype of the attributes object.
import type { AttrValue, Attributes } from '@pivot/model';

export function setOwn(obj: Attributes, key: string, value: AttrValue): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
