// Ingest auth over HTTP: every ingest route needs a configured bearer token; probes and scrapes do not.
import { describe, expect, it } from 'vitest';
import { CapturingSink } from '../testing/index.ts';
import type { MetricsBatch, ResourceLogs, ResourceSpans } from '@pivot/model';
import { createLogger } from '@pivot/server-kit';
import { bearerTokenCheck } from '../src/auth.ts';
import { createIngestApp, createIngestMetrics } from '../src/index.ts';
import { protoFields } from '../testing/grpc-client.ts';
import { fixture } from './helpers.ts';

describe('bearerTokenCheck', () => {
  const check = bearerTokenCheck(['s3cret-one', 'other.token_2']);

  it('accepts each configured token after "Bearer", whatever the scheme case', () => {
    expect(check('Bearer s3cret-one')).toBe(true);
    expect(check('Bearer other.token_2')).toBe(true);
    expect(check('bearer s3cret-one')).toBe(true);
    expect(check('BEARER  other.token_2 ')).toBe(true);
  });

  it('refuses a missing, wrong, partial or extended token and other schemes', () => {
    for (const v of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      's3cret-one',
      'Bearer s3cret',
      'Bearer s3cret-one2',
      'Bearer s3cret-one other.token_2',
      'Basic s3cret-one',
      'Bearer S3CRET-ONE',
    ])
      expect(check(v), String(v)).toBe(false);
  });

  it('refuses everything when no token is configured', () => {
    expect(bearerTokenCheck([])('Bearer ')).toBe(false);
    expect(bearerTokenCheck([])('Bearer x')).toBe(false);
  });
});

describe('HTTP ingest with INGEST_TOKEN', () => {
  const spans = new CapturingSink<ResourceSpans[]>();
  const samples = new CapturingSink<MetricsBatch>();
  const logs = new CapturingSink<ResourceLogs[]>();
  const metrics = createIngestMetrics(false);
  const app = createIngestApp({
    logger: createLogger('silent', 'test'),
    metrics,
    limits: { maxBodyBytes: 1 << 20, maxDecompressedBytes: 4 << 20 },
    spans,
    samples,
    logs,
    ingestTokens: ['tok-a', 'tok-b'],
    ready: async () => {},
  });
  const traces = (headers: Record<string, string>) =>
    app.request('/v1/traces', {
      method: 'POST',
      body: fixture('otlp-traces-08.json'),
      headers: { 'content-type': 'application/json', ...headers },
    });
  // An empty snappy block: a valid, empty remote-write request.
  const write = (headers: Record<string, string>) =>
    app.request('/api/v1/write', {
      method: 'POST',
      body: new Uint8Array([0]),
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', ...headers },
    });

  it('answers 401 on OTLP routes with a google.rpc.Status UNAUTHENTICATED, in the request encoding', async () => {
    for (const headers of [{}, { authorization: 'Bearer tok-c' }, { authorization: 'tok-a' }] as Record<
      string,
      string
    >[]) {
      const res = await traces(headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual({
        code: 16,
        message: 'missing or invalid ingest token (send "Authorization: Bearer <token>")',
      });
    }
    const pb = await app.request('/v1/logs', {
      method: 'POST',
      body: new Uint8Array(0),
      headers: { 'content-type': 'application/x-protobuf' },
    });
    expect(pb.status).toBe(401);
    expect(pb.headers.get('content-type')).toBe('application/x-protobuf');
    expect(protoFields(new Uint8Array(await pb.arrayBuffer())).get(1)).toEqual([16n]);
    expect(spans.batches).toEqual([]);
    expect(logs.batches).toEqual([]);
  });

  it('answers 401 on remote-write and the other log routes in their JSON error form', async () => {
    const res = await write({ authorization: 'Bearer nope' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: 'missing or invalid ingest token (send "Authorization: Bearer <token>")',
    });
    expect((await app.request('/api/v1/logs', { method: 'POST', body: '{"msg":"x"}\n' })).status).toBe(401);
    expect(
      (
        await app.request('/loki/api/v1/push', {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(401);
  });

  it('accepts each configured token', async () => {
    const a = await traces({ authorization: 'Bearer tok-a' });
    expect(a.status).toBe(200);
    expect(await a.json()).toEqual({});
    expect(spans.batches).toHaveLength(1);
    expect((await write({ authorization: 'Bearer tok-b' })).status).toBe(204);
  });

  it('keeps /healthz, /readyz and /metrics open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await app.request(path)).status, path).toBe(200);
    const text = await (await app.request('/metrics')).text();
    // Refused before routing, so the route label is the auth middleware's ("/*").
    expect(text).toMatch(/pivot_ingest_http_requests_total\{route="\/\*",method="POST",status="401"\} 7/);
    expect(text).not.toContain('tok-a');
  });
});
