import type { ValueType } from './ast.ts';

// Signatures follow prometheus/promql/parser/functions.go (v2.42). `variadic` means what it does there:
// 0 = fixed arity, n > 0 = up to n trailing optional arguments, -1 = unbounded repetition of the last type.
export interface FunctionDef {
  name: string;
  argTypes: ValueType[];
  variadic: number;
  returnType: ValueType;
}

const v: ValueType = 'vector';
const m: ValueType = 'matrix';
const s: ValueType = 'scalar';
const str: ValueType = 'string';

const defs: FunctionDef[] = [];
const def = (name: string, argTypes: ValueType[], returnType: ValueType, variadic = 0): void => {
  defs.push({ name, argTypes, variadic, returnType });
};

for (const name of [
  'abs',
  'ceil',
  'floor',
  'exp',
  'sqrt',
  'ln',
  'log2',
  'log10',
  'sgn',
  'deg',
  'rad',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'sinh',
  'cosh',
  'tanh',
  'asinh',
  'acosh',
  'atanh',
  'absent',
  'sort',
  'sort_desc',
  'timestamp',
  'histogram_count',
  'histogram_sum',
])
  def(name, [v], v);
for (const name of [
  'rate',
  'increase',
  'delta',
  'irate',
  'idelta',
  'deriv',
  'changes',
  'resets',
  'avg_over_time',
  'sum_over_time',
  'min_over_time',
  'max_over_time',
  'count_over_time',
  'last_over_time',
  'stddev_over_time',
  'stdvar_over_time',
  'present_over_time',
  'absent_over_time',
])
  def(name, [m], v);
for (const name of ['days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year'])
  def(name, [v], v, 1);
def('clamp', [v, s, s], v);
def('clamp_max', [v, s], v);
def('clamp_min', [v, s], v);
def('round', [v, s], v, 1);
def('predict_linear', [m, s], v);
def('quantile_over_time', [s, m], v);
def('holt_winters', [m, s, s], v);
def('histogram_quantile', [s, v], v);
def('histogram_fraction', [s, s, v], v);
def('label_replace', [v, str, str, str, str], v);
def('label_join', [v, str, str, str], v, -1);
def('scalar', [v], s);
def('vector', [s], v);
def('time', [], s);
def('pi', [], s);

export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(defs.map((d) => [d.name, d]));

/**
 * Functions whose result depends on the evaluation time even when their arguments do not
 * (prometheus/promql/functions.go AtModifierUnsafeFunctions): they are never evaluated once for all steps.
 */
export const AT_MODIFIER_UNSAFE = new Set([
  'days_in_month',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'hour',
  'minute',
  'month',
  'year',
  'predict_linear',
  'time',
  'timestamp',
]);
