// JSON.parse copes with any nesting, but JSON.stringify (and any recursive consumer downstream)
// overflows the stack on a few thousand levels; a 256 KiB line can nest 128 000. Checked iteratively.
export const MAX_JSON_DEPTH = 32;

/** True when `v` nests objects or arrays deeper than `max` levels (the top-level object is level 1). */
export function nestsDeeperThan(v: unknown, max: number): boolean {
  const values: unknown[] = [v];
  const depths: number[] = [1];
  while (values.length > 0) {
    const x = values.pop();
    const d = depths.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (d > max) return true;
    for (const child of Array.isArray(x) ? x : Object.values(x)) {
      if (typeof child === 'object' && child !== null) {
        values.push(child);
        depths.push(d + 1);
      }
    }
  }
  return false;
}
