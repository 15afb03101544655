export * from './ast.ts';
export { parse, TraceQLError, MAX_QUERY_LENGTH, type ParseResult, type TraceQLErrorKind } from './parser.ts';
export { matchesSpan, attributeValue, type SpanView } from './match.ts';
export { compileRegex, RegexError } from './regex.ts';
