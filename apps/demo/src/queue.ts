// A message queue inside the demo process, instrumented as the OpenTelemetry messaging conventions
// say: a PRODUCER span per publish whose context travels in the message's headers, and a CONSUMER
// span per delivery, child of the producer. A topic nobody subscribes to still gets its PRODUCER
// spans: the service graph shows it as a virtual queue node.
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { sleep } from './http.ts';
import type { ServiceTelemetry } from './telemetry.ts';

const propagator = new W3CTraceContextPropagator();
export const QUEUE_SYSTEM = 'kafka';

interface Message {
  topic: string;
  headers: Record<string, string>;
  body: Record<string, string | number>;
}

type Consumer = (ctx: Context, span: Span, body: Message['body']) => Promise<void>;

export class Queue {
  readonly #subscribers = new Map<string, { tel: ServiceTelemetry; consume: Consumer }[]>();
  readonly #inFlight = new Set<Promise<void>>();

  /** `tel` consumes every message published on `topic` from now on, with a CONSUMER span. */
  subscribe(topic: string, tel: ServiceTelemetry, consume: Consumer): void {
    const list = this.#subscribers.get(topic) ?? [];
    list.push({ tel, consume });
    this.#subscribers.set(topic, list);
  }

  /** Publishes with a PRODUCER span (a child of `ctx`); delivery happens a few ms later. */
  publish(tel: ServiceTelemetry, ctx: Context, topic: string, body: Message['body']): void {
    const span = tel.tracer.startSpan(
      `${topic} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': QUEUE_SYSTEM,
          'messaging.destination.name': topic,
          'messaging.operation.type': 'send',
          'server.address': 'queue.demo.internal',
        },
      },
      ctx,
    );
    const headers: Record<string, string> = {};
    propagator.inject(trace.setSpan(ctx, span), headers, defaultTextMapSetter);
    span.end();
    for (const sub of this.#subscribers.get(topic) ?? []) {
      const p = this.#deliver(sub.tel, sub.consume, { topic, headers, body }).finally(() => this.#inFlight.delete(p));
      this.#inFlight.add(p);
    }
  }

  /** Resolves once every message published so far has been consumed. */
  async drain(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  async #deliver(tel: ServiceTelemetry, consume: Consumer, msg: Message): Promise<void> {
    await sleep(5 + Math.random() * 25);
    const parent = propagator.extract(ROOT_CONTEXT, msg.headers, defaultTextMapGetter);
    const span = tel.tracer.startSpan(
      `${msg.topic} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': QUEUE_SYSTEM,
          'messaging.destination.name': msg.topic,
          'messaging.operation.type': 'process',
        },
      },
      parent,
    );
    try {
      await consume(trace.setSpan(parent, span), span, msg.body);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    } finally {
      span.end();
    }
  }
}
