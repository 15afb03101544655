// Go's fmt formatting of float64 for the verbs templates use (%v, %g, %.4g, %f, %e), so an annotation
// such as "{{ $value }}" or "{{ $value | humanize }}" reads exactly as Prometheus writes it.

function special(v: number): string | null {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return null;
}

function expParts(s: string): { mant: string; exp: number } {
  const [mant, e] = s.split('e');
  return { mant: mant!, exp: Number(e) };
}

const trimZeros = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
const goExp = (exp: number) => (exp < 0 ? '-' : '+') + String(Math.abs(exp)).padStart(2, '0');

/** %g with a precision (significant digits; Go's default for %g is the shortest representation). */
export function formatG(v: number, prec?: number): string {
  const sp = special(v);
  if (sp !== null) return sp;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const { mant, exp } = expParts(prec === undefined ? v.toExponential() : v.toExponential(Math.max(prec, 1) - 1));
  const eprec = prec === undefined ? Math.max(mant.replace(/[-.]/g, '').length, 21) : Math.max(prec, 1);
  // Go: %e when exp < -4 || exp >= eprec; the shortest form (%v) switches at 21 digits.
  if (exp < -4 || exp >= (prec === undefined ? 21 : eprec)) return trimZeros(mant) + 'e' + goExp(exp);
  const digits = prec === undefined ? mant.replace(/[-.]/g, '').length : Math.max(prec, 1);
  return trimZeros(v.toFixed(Math.max(0, digits - 1 - exp)));
}

/** %v of a float64: the shortest representation, with an exponent below 1e-4 and from 1e21. */
export const formatV = (v: number): string => formatG(v);

export function formatF(v: number, prec = 6): string {
  return special(v) ?? v.toFixed(prec);
}

export function formatE(v: number, prec = 6): string {
  const sp = special(v);
  if (sp !== null) return sp;
  const { mant, exp } = expParts(v.toExponential(prec));
  return mant + 'e' + goExp(exp);
}

/** Go's %q of a string: a double-quoted Go string literal. */
export function formatQ(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

export type GoValue = string | number | Readonly<Record<string, string>>;

/** %v of any template value; a map prints as Go prints map[string]string. */
export function formatValue(v: GoValue): string {
  if (typeof v === 'number') return formatV(v);
  if (typeof v === 'string') return v;
  return (
    'map[' +
    Object.keys(v)
      .sort()
      .map((k) => `${k}:${v[k]}`)
      .join(' ') +
    ']'
  );
}

/** fmt.Sprintf for the verbs templates use: %s %v %d %f %g %e %q %% with an optional .precision. */
export function sprintf(format: string, args: readonly GoValue[]): string {
  let i = 0;
  return (
    format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (whole, flags: string, width, prec, verb) => {
      if (verb === '%') return '%';
      if (i >= args.length) return `%!${verb}(MISSING)`;
      const a = args[i++]!;
      const p = prec === undefined ? undefined : Number(prec);
      let out: string;
      switch (verb) {
        case 's':
        case 'v':
          out = formatValue(a);
          if (verb === 's' && p !== undefined) out = out.slice(0, p);
          break;
        case 'q':
          out = typeof a === 'string' ? formatQ(a) : `%!q(${formatValue(a)})`;
          break;
        case 'd':
          out =
            typeof a === 'number' && Number.isInteger(a)
              ? String(a)
              : `%!d(${typeof a === 'number' ? 'float64' : 'string'}=${formatValue(a)})`;
          break;
        case 'f':
        case 'F':
          out = typeof a === 'number' ? formatF(a, p) : `%!f(string=${formatValue(a)})`;
          break;
        case 'g':
          out = typeof a === 'number' ? formatG(a, p) : `%!g(string=${formatValue(a)})`;
          break;
        case 'e':
          out = typeof a === 'number' ? formatE(a, p) : `%!e(string=${formatValue(a)})`;
          break;
        default:
          return whole;
      }
      if (flags.includes('+') && typeof a === 'number' && a >= 0 && !out.startsWith('+')) out = '+' + out;
      if (width !== undefined) {
        const w = Number(width);
        out = flags.includes('-')
          ? out.padEnd(w)
          : out.padStart(w, flags.includes('0') && typeof a === 'number' ? '0' : ' ');
      }
      return out;
    }) +
    (i < args.length
      ? `%!(EXTRA ${args
          .slice(i)
          .map((a) => `${typeof a === 'number' ? 'float64' : 'string'}=${formatValue(a)}`)
          .join(', ')})`
      : '')
  );
}
