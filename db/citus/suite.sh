# The test files .ci/run runs on the Citus cluster (TEST_TARGETS=citus): every store, API and ingest suite
# that runs on testDatabases(), the layout test, the PromQL differential through the whole stack, and the
# round trips with real clients (the OpenTelemetry JS SDK's exporters, pino, Debian's Prometheus as
# remote-write sender) through ingest and back out of the API, and the whole-stack tests of what N
# replicas share (sessions behind a round-robin proxy, jobs run once and taken over, caches), retention,
# the service-graph fold, OTLP/gRPC and a database outage under remote-write.
# shellcheck disable=SC2034
CITUS_SUITE=(
  packages/store/src/citus.test.ts
  packages/store/src/alerting-state.test.ts
  packages/store/src/columnar.test.ts
  packages/store/src/db-log-link.test.ts
  packages/store/src/errors.test.ts
  packages/store/src/exemplar-thinning.test.ts
  packages/store/src/facet-queries.test.ts
  packages/store/src/investigate-queries.test.ts
  packages/store/src/log-store.test.ts
  packages/store/src/logql-store.test.ts
  packages/store/src/maintenance.test.ts
  packages/store/src/metric-store.test.ts
  packages/store/src/partitions.test.ts
  packages/store/src/pg-log-offsets.test.ts
  packages/store/src/retention.test.ts
  packages/store/src/service-stats.test.ts
  packages/store/src/servicegraph-db.test.ts
  packages/store/src/servicegraph.test.ts
  packages/store/src/span-store.test.ts
  packages/store/src/sql-console.test.ts
  packages/store/src/tables.test.ts
  packages/store/src/traceql-queries.test.ts
  apps/api/test/alert-evidence.test.ts
  apps/api/test/alertmanager.test.ts
  apps/api/test/facets-api.test.ts
  apps/api/test/investigate.test.ts
  apps/api/test/log-counts.test.ts
  apps/api/test/logs-api.test.ts
  apps/api/test/loki-api.test.ts
  apps/api/test/loki-corpus.test.ts
  apps/api/test/prometheus-api.test.ts
  apps/api/test/rules.test.ts
  apps/api/test/service-stats.test.ts
  apps/api/test/sql.test.ts
  apps/api/test/status.test.ts
  apps/api/test/tempo-api.test.ts
  apps/api/test/trace-compare.test.ts
  apps/api/test/trace-db-logs.test.ts
  apps/api/test/traceql-corpus.test.ts
  apps/ingest/test/logs-http.test.ts
  apps/ingest/test/otlp-grpc.test.ts
  apps/ingest/test/pg-tail.test.ts
  apps/ingest/test/pglog-http.test.ts
  apps/ingest/test/traces-http.test.ts
  apps/platform/test/caches.e2e.test.ts
  apps/platform/test/grpc.e2e.test.ts
  apps/platform/test/jobs-failover.e2e.test.ts
  apps/platform/test/logs.e2e.test.ts
  apps/platform/test/promql-stack.e2e.test.ts
  apps/platform/test/remote-write-outage.e2e.test.ts
  apps/platform/test/remote-write.e2e.test.ts
  apps/platform/test/replicas.e2e.test.ts
  apps/platform/test/retention.e2e.test.ts
  apps/platform/test/servicegraph.e2e.test.ts
  apps/platform/test/traces.e2e.test.ts
)
