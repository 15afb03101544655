// OTLP → Prometheus names, following github.com/prometheus/otlptranslator with the defaults Prometheus'
// OTLP receiver uses (UnderscoreEscapingWithSuffixes, multiple underscores collapsed). Kept rule-for-rule
// so that names match what users already query in Prometheus.

export type NamerMetricType =
  'gauge' | 'monotonicCounter' | 'nonMonotonicCounter' | 'histogram' | 'exponentialHistogram' | 'summary' | 'unknown';

const UNIT_MAP: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};

const PER_UNIT_MAP: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

function isMetricChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 58;
}
function isLabelChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Splits on every run of characters outside [a-zA-Z0-9:], which also collapses repeated underscores. */
function tokens(s: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= s.length; i++) {
    const ok = i < s.length && isMetricChar(s.charCodeAt(i));
    if (ok && start < 0) start = i;
    else if (!ok && start >= 0) {
      out.push(s.slice(start, i));
      start = -1;
    }
  }
  return out;
}

function lookup(map: Readonly<Record<string, string>>, k: string): string {
  return Object.hasOwn(map, k) ? map[k]! : k;
}

/** [main, per] unit words before character clean-up; annotations like {requests} yield nothing. */
function unitSuffixes(unit: string): [string, string] {
  const slash = unit.indexOf('/');
  const mainRaw = (slash < 0 ? unit : unit.slice(0, slash)).trim();
  const main = mainRaw !== '' && !/[{}]/.test(mainRaw) ? lookup(UNIT_MAP, mainRaw) : '';
  let per = '';
  if (slash >= 0) {
    const perRaw = unit.slice(slash + 1).trim();
    if (perRaw !== '' && !/[{}]/.test(perRaw)) per = lookup(PER_UNIT_MAP, perRaw);
    if (per !== '') per = `per_${per}`;
  }
  return [main, per];
}

function cleanUpUnit(u: string): string {
  let out = '';
  let prevUnderscore = false;
  for (let i = 0; i < u.length; i++) {
    const c = u.charCodeAt(i);
    if (isMetricChar(c)) {
      out += u[i];
      prevUnderscore = false;
    } else if (!prevUnderscore) {
      out += '_';
      prevUnderscore = true;
    }
  }
  return out.startsWith('_') ? out.slice(1) : out;
}

function trimOneUnderscore(s: string): string {
  return s.endsWith('_') ? s.slice(0, -1) : s;
}

/**
 * The Prometheus metric family name for an OTLP metric, e.g. `http.server.request.duration` in `s` →
 * `http_server_request_duration_seconds`; monotonic counters end in `_total`, unit-1 gauges in `_ratio`.
 * Returns '' when nothing valid is left, which Prometheus treats as an error for that metric.
 */
export function prometheusMetricName(name: string, unit: string, type: NamerMetricType): string {
  let toks = tokens(name);
  const [mainRaw, perRaw] = unitSuffixes(unit);
  let main = cleanUpUnit(mainRaw);
  let per = cleanUpUnit(perRaw);
  if (toks.includes(main)) main = '';
  if (per === 'per_') per = '';
  else {
    per = trimOneUnderscore(per);
    if (toks.includes(per)) per = '';
  }
  if (per !== '') main = trimOneUnderscore(main);
  if (main !== '') toks.push(main);
  if (per !== '') toks.push(per);
  if (type === 'monotonicCounter') {
    toks = toks.filter((t) => t !== 'total');
    toks.push('total');
  }
  if (unit === '1' && type === 'gauge') {
    toks = toks.filter((t) => t !== 'ratio');
    toks.push('ratio');
  }
  const out = toks.join('_');
  if (out === '' || /^_*$/.test(out)) return '';
  return isDigit(out.charCodeAt(0)) ? `_${out}` : out;
}

/** Prometheus' unit word for an OTLP unit, e.g. `By/s` → `bytes_per_second`, `1` → ''. */
export function prometheusUnit(unit: string): string {
  const [mainRaw, perRaw] = unitSuffixes(unit);
  const main = cleanUpUnit(mainRaw);
  const per = cleanUpUnit(perRaw);
  let u = main !== '' && per !== '' ? `${main}_${per}` : main !== '' ? main : per;
  if (u.startsWith('_')) u = u.slice(1);
  if (u.endsWith('_')) u = u.slice(0, -1);
  return u;
}

function sanitizeLabel(s: string): string {
  let out = '';
  let prevUnderscore = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isLabelChar(c)) {
      out += s[i];
      prevUnderscore = false;
    } else if (!prevUnderscore) {
      out += '_';
      prevUnderscore = true;
    }
  }
  return out;
}

const LABEL_CACHE_MAX = 4096;
const labelCache = new Map<string, string>();

/**
 * A Prometheus label name for an OTLP attribute key: invalid characters become `_` (runs collapse to
 * one), a leading digit gets `key_`, a leading single `_` gets `key`, and `__reserved__` names keep
 * their wrapping. Returns '' for a key that leaves nothing but underscores.
 */
export function prometheusLabelName(key: string): string {
  const hit = labelCache.get(key);
  if (hit !== undefined) return hit;
  let out: string;
  if (key.length >= 4 && key.startsWith('__') && key.endsWith('__')) out = `__${sanitizeLabel(key.slice(2, -2))}__`;
  else out = sanitizeLabel(key);
  if (/^_*$/.test(out)) out = '';
  else if (isDigit(out.charCodeAt(0))) out = `key_${out}`;
  else if (out.startsWith('_') && !out.startsWith('__')) out = `key${out}`;
  // Attribute keys repeat across every point of a request; the cache is bounded because keys are client-chosen.
  if (labelCache.size >= LABEL_CACHE_MAX) labelCache.clear();
  labelCache.set(key, out);
  return out;
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64), which Prometheus uses for `le` and `quantile` values. */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  // Expand JavaScript's exponent notation into plain digits.
  const neg = s.startsWith('-');
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const digits = mant.replace('.', '');
  const intLen = (dot < 0 ? mant.length : dot) + exp;
  let out: string;
  if (intLen <= 0) out = `0.${'0'.repeat(-intLen)}${digits}`;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  return neg ? `-${out}` : out;
}
