// Label and attribute names come from the network, and `__proto__` is a valid Prometheus label name:
// plain assignment would change the object's prototype instead of adding the label.
export function setOwn(obj: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
