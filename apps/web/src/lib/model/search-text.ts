// Text a search matched, split for highlighting, and the trace search's attribute filters, parsed
// so that a filter the API could not read is refused where it was typed rather than dropped.

export interface Segment {
  text: string;
  match: boolean;
}

/**
 * `text` cut into runs that match one of `terms` (case-insensitive substrings, as the log search
 * matches them) and runs that do not; overlapping matches merge into one run.
 */
export function highlightSegments(text: string, terms: readonly string[]): Segment[] {
  const words = terms.map((t) => t.toLowerCase()).filter(Boolean);
  if (!words.length || !text) return text ? [{ text, match: false }] : [];
  const lower = text.toLowerCase();
  const hit = new Uint8Array(text.length);
  for (const w of words)
    for (let i = lower.indexOf(w); i !== -1; i = lower.indexOf(w, i + 1)) hit.fill(1, i, i + w.length);
  const out: Segment[] = [];
  let start = 0;
  for (let i = 1; i <= text.length; i++) {
    if (i === text.length || hit[i] !== hit[start]) {
      out.push({ text: text.slice(start, i), match: hit[start] === 1 });
      start = i;
    }
  }
  return out;
}

export type AttrFilterParse = { ok: true; pairs: [string, string][] } | { ok: false; message: string; token: string };

/** `http.route=/checkout user.id=42`: whitespace-separated key=value pairs; a value may be empty. */
export function parseAttrFilters(text: string): AttrFilterParse {
  const pairs: [string, string][] = [];
  for (const token of text.split(/\s+/).filter(Boolean)) {
    const i = token.indexOf('=');
    if (i < 0)
      return { ok: false, token, message: `"${token}" is not key=value: write ${token}=<value>, or remove it` };
    if (i === 0) return { ok: false, token, message: `"${token}" has no key: write <key>${token}` };
    pairs.push([token.slice(0, i), token.slice(i + 1)]);
  }
  return { ok: true, pairs };
}
