// Literal parsing with Go semantics, because PromQL's lexer hands these strings to Go's strconv and
// prometheus/common/model.ParseDuration: same accepted forms, same values.

export class LiteralError extends Error {}

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 86400000, 7 * 86400000, 86400000, 3600000, 60000, 1000, 1];
// time.Duration is int64 nanoseconds, so ~292 years is the most a duration can hold.
const MAX_DURATION_MS = 9223372036854;

/** Milliseconds; follows model.ParseDuration in prometheus/common. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  if (text === '') throw new LiteralError('empty duration string');
  const m = DURATION_RE.exec(text);
  if (!m) throw new LiteralError(`not a valid duration string: "${text}"`);
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const g = m[i + 1];
    if (g === undefined) continue;
    ms += Number(g) * UNIT_MS[i]!;
  }
  if (ms > MAX_DURATION_MS) throw new LiteralError('duration out of range');
  return ms;
}

/** A duration the way model.Duration.String() writes it ("1d", "1h30m", "10ms"; "0s" for zero). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.abs(ms);
  let out = ms < 0 ? '-' : '';
  const units = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  for (let i = 0; i < UNIT_MS.length; i++) {
    const n = Math.floor(rest / UNIT_MS[i]!);
    if (n > 0) out += n + units[i]!;
    rest -= n * UNIT_MS[i]!;
  }
  return out;
}

export const isDurationText = (text: string): boolean =>
  /[a-z]$/i.test(text) && DURATION_RE.test(text) && !/^(inf|nan)$/i.test(text);

/**
 * A PromQL number token. Follows parseNumber in promql/parser/lex.go: strconv.ParseInt(s, 0, 64) first
 * (so a leading 0 means octal), then strconv.ParseFloat. Durations (`5m`) count as seconds, as newer
 * Prometheus versions allow.
 */
export function parseNumber(text: string): number {
  let sign = 1;
  let t = text;
  if (t.startsWith('+') || t.startsWith('-')) {
    if (t[0] === '-') sign = -1;
    t = t.slice(1);
  }
  const lower = t.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return sign * Infinity;
  if (lower === 'nan') return NaN;
  if (isDurationText(t)) return (sign * parseDuration(t)) / 1000;
  const noUnderscore = t.replace(/_/g, '');
  // ParseInt(s, 0, 64) fails beyond int64; ParseFloat then only takes decimal text (hex needs a p exponent).
  if (/^0x[0-9a-f]+$/i.test(noUnderscore)) {
    const n = BigInt(noUnderscore);
    if (n < 2n ** 63n) return sign * Number(n);
  } else if (/^0[0-7]+$/.test(noUnderscore)) {
    const n = BigInt('0o' + noUnderscore.slice(1));
    if (n < 2n ** 63n) return sign * Number(n);
  }
  if (/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(noUnderscore)) {
    const v = Number(noUnderscore);
    if (!Number.isFinite(v))
      throw new LiteralError(`error parsing number: strconv.ParseFloat: parsing "${text}": value out of range`);
    return sign * v;
  }
  throw new LiteralError(`error parsing number: strconv.ParseFloat: parsing "${text}": invalid syntax`);
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };

/**
 * Unquotes a "…", '…' or `…` literal like Go's strconv.Unquote (which PromQL's lexer uses):
 * \x and octal escapes produce raw bytes, \u and \U code points; the other quote character may not be escaped.
 */
export function unquote(text: string): string {
  const q = text[0];
  if (text.length < 2 || text[text.length - 1] !== q || (q !== '"' && q !== "'" && q !== '`')) {
    throw new LiteralError('unterminated quoted string');
  }
  const body = text.slice(1, -1);
  if (q === '`') return body;
  if (!body.includes('\\')) return body;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  const pushCodePoint = (cp: number): void => {
    for (const b of enc.encode(String.fromCodePoint(cp))) bytes.push(b);
  };
  for (let i = 0; i < body.length;) {
    const c = body[i]!;
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      pushCodePoint(cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) throw new LiteralError('invalid syntax');
    if (e in SIMPLE_ESCAPES) {
      bytes.push(SIMPLE_ESCAPES[e]!);
      i += 2;
    } else if (e === q) {
      bytes.push(q.charCodeAt(0));
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + n);
      if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) throw new LiteralError('invalid syntax');
      const val = parseInt(hex, 16);
      if (e === 'x') bytes.push(val);
      else {
        if (val > 0x10ffff || (val >= 0xd800 && val < 0xe000)) throw new LiteralError('invalid syntax');
        pushCodePoint(val);
      }
      i += 2 + n;
    } else if (e >= '0' && e <= '7') {
      const oct = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct)) throw new LiteralError('invalid syntax');
      const val = parseInt(oct, 8);
      if (val > 255) throw new LiteralError('invalid syntax');
      bytes.push(val);
      i += 4;
    } else {
      throw new LiteralError('invalid syntax');
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
