// The TraceQL subset Grafana's Tempo search builder emits: one spanset filter `{ … }` whose conditions
// are joined by && and ||, with parentheses. Spans are matched one at a time: a trace matches when one of
// its spans makes the whole filter true (Tempo's semantics: conditions in one `{}` hold for the same span).

export type Operator = '=' | '!=' | '=~' | '!~' | '>' | '>=' | '<' | '<=';

/** Where an attribute is looked up: `span.x`, `resource.x`, or `.x` (the span's, else the resource's). */
export type AttributeScope = 'span' | 'resource' | 'unscoped';

/**
 * Intrinsics: span fields (`name`, `status`, `duration`, `kind`) and trace fields (`rootServiceName`,
 * `rootName`, `traceDuration`). `duration` is the span's own; `traceDuration` the whole trace's.
 */
export type IntrinsicName = 'name' | 'status' | 'duration' | 'kind' | 'rootServiceName' | 'rootName' | 'traceDuration';

export type Field =
  { type: 'attribute'; scope: AttributeScope; name: string } | { type: 'intrinsic'; name: IntrinsicName };

export type StatusName = 'unset' | 'ok' | 'error';
export type KindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export type Literal =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'bool'; value: boolean }
  /** Nanoseconds. */
  | { type: 'duration'; value: bigint }
  | { type: 'status'; value: StatusName }
  | { type: 'kind'; value: KindName };

export interface Comparison {
  type: 'compare';
  field: Field;
  op: Operator;
  value: Literal;
  /** Offset of the condition in the query text, for error messages. */
  pos: number;
}

export type Expr = Comparison | { type: 'and' | 'or'; left: Expr; right: Expr };

/** A parsed query: `filter` is null for `{}`, which matches every span. */
export interface TraceQLQuery {
  filter: Expr | null;
}

/** Status codes and span kinds by name, as OTLP numbers them. */
export const STATUS_CODES: Record<StatusName, number> = { unset: 0, ok: 1, error: 2 };
export const KIND_CODES: Record<KindName, number> = {
  unspecified: 0,
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
};
