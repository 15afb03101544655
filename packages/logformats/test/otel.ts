// A real OpenTelemetry tracer with async-context propagation, and the pino mixin that stamps the
// active span on every log line the way @opentelemetry/instrumentation-pino does.
import { context, trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';

let manager: AsyncLocalStorageContextManager | undefined;

export function startTracing(): Tracer {
  manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  return new BasicTracerProvider().getTracer('logformats-test');
}

export function stopTracing(): void {
  context.disable();
  manager = undefined;
}

export function traceMixin(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const sc = span.spanContext();
  return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: `0${sc.traceFlags.toString(16)}` };
}
