// One demo service's instrumentation, as a user would set it up: an OpenTelemetry tracer and logger
// exporting OTLP/HTTP protobuf, and a prom-client registry whose request histogram records the
// current span as its exemplar. Each service has its own providers, so each is its own resource.
import { ROOT_CONTEXT, trace, type Context, type Tracer } from '@opentelemetry/api';
import { SeverityNumber, type Logger as OtelLogger } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Histogram, Registry } from 'prom-client';

export interface ExportTarget {
  /** The ingest base URL, e.g. http://127.0.0.1:4318 (OTEL_EXPORTER_OTLP_ENDPOINT). */
  ingestUrl: string;
  /** INGEST_TOKEN, sent as `Authorization: Bearer`. */
  token?: string | undefined;
}

export type Severity = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const SEVERITY_NUMBER: Record<Severity, SeverityNumber> = {
  DEBUG: SeverityNumber.DEBUG,
  INFO: SeverityNumber.INFO,
  WARN: SeverityNumber.WARN,
  ERROR: SeverityNumber.ERROR,
};

export interface ServiceTelemetry {
  name: string;
  tracer: Tracer;
  registry: Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>;
  /** Request latency; observe() with the request's context so the exemplar is its trace. */
  observe(ctx: Context, labels: { method: string; route: string; status_code: string }, seconds: number): void;
  /** A log record carrying the trace and span of `ctx`. */
  log(ctx: Context, severity: Severity, body: string, attributes?: Record<string, string | number | boolean>): void;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Buckets around the demo's latencies, so that the 1 s payment retries stand out. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createServiceTelemetry(name: string, target: ExportTarget): ServiceTelemetry {
  const headers: Record<string, string> = target.token ? { Authorization: `Bearer ${target.token}` } : {};
  const resource = resourceFromAttributes({
    'service.name': name,
    'service.namespace': 'demo-shop',
    'service.version': '1.0.0',
    'deployment.environment.name': 'demo',
  });
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${target.ingestUrl}/v1/traces`, headers }), {
        scheduledDelayMillis: 1000,
      }),
    ],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({
        exporter: new OTLPLogExporter({ url: `${target.ingestUrl}/v1/logs`, headers }),
        scheduledDelayMillis: 1000,
      }),
    ],
  });
  const logger: OtelLogger = loggerProvider.getLogger(name, '1.0.0');

  const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const latency = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: BUCKETS,
    enableExemplars: true,
    registers: [registry],
  });

  return {
    name,
    tracer: tracerProvider.getTracer(name, '1.0.0'),
    registry,
    observe(ctx, labels, seconds) {
      const span = trace.getSpan(ctx)?.spanContext();
      // prom-client types exemplar labels as the metric's own label names; any names work at run time.
      const exemplarLabels = (span ? { trace_id: span.traceId, span_id: span.spanId } : {}) as unknown as Record<
        'method',
        string
      >;
      latency.observe({ labels, value: seconds, exemplarLabels });
    },
    log(ctx, severity, body, attributes = {}) {
      logger.emit({
        context: ctx,
        severityNumber: SEVERITY_NUMBER[severity],
        severityText: severity,
        body,
        attributes,
      });
    },
    async flush() {
      await Promise.all([tracerProvider.forceFlush(), loggerProvider.forceFlush()]);
    },
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown()]);
    },
  };
}

/**
 * The shop database's own log (PostgreSQL with log_min_duration_statement, log_lock_waits and
 * sqlcommenter-aware ingest), sent as the pglog ingest would store its lines: one record per line in a
 * `postgresql` resource, with the pg.* attributes, over the same OTLP log path as the services.
 */
export interface DatabaseServerLog {
  /**
   * One server line. `ctx` holds the DB span when the statement carried a traceparent comment: the line
   * then names its trace and span, as ingest reads them from the comment; without it, the line names none.
   */
  line(ctx: Context | undefined, body: string, attributes: Record<string, string | number | boolean>): void;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function createDatabaseServerLog(target: ExportTarget): DatabaseServerLog {
  const headers: Record<string, string> = target.token ? { Authorization: `Bearer ${target.token}` } : {};
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({
      'service.name': 'postgresql',
      'db.system': 'postgresql',
      'server.address': 'db.demo.internal',
      'deployment.environment.name': 'demo',
    }),
    processors: [
      new BatchLogRecordProcessor({
        exporter: new OTLPLogExporter({ url: `${target.ingestUrl}/v1/logs`, headers }),
        scheduledDelayMillis: 1000,
      }),
    ],
  });
  const logger = provider.getLogger('pglog', '1.0.0');
  return {
    line(ctx, body, attributes) {
      logger.emit({
        context: ctx ?? ROOT_CONTEXT,
        severityNumber: SeverityNumber.INFO,
        severityText: 'LOG',
        body,
        attributes: ctx ? { ...attributes, 'pg.link': 'sqlcommenter' } : attributes,
      });
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
