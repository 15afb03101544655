// The demo shop: frontend → checkout → {inventory, pricing, payment}, with database spans in inventory
// and payment. Payment's card gateway has incidents: for a while, about half of the charges time out
// once and succeed on a retry (~1 s in all, a `retry` span event and an error log), and a few fail.
// A paid order goes on the `orders` queue, which shipping consumes: it records the shipment in the
// database and reserves the stock at inventory through a legacy HTTP client that drops `traceparent`
// on one request in four, so the propagation report has a service to name. Checkout also publishes
// every order to `order-events`, which nothing consumes (a virtual queue node on the map). The database
// logs its side of the statements (durations, lock waits): linked by sqlcommenter comments, except
// shipping's, whose legacy driver writes none.
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { call, dbQuery, serve, sleep, type RunningService } from './http.ts';
import { Queue } from './queue.ts';
import type { ShopDatabase } from './database.ts';
import type { DatabaseServerLog, ServiceTelemetry } from './telemetry.ts';

export interface IncidentSchedule {
  /** One incident per period… */
  periodMs: number;
  /** …starting this long into each period… */
  offsetMs: number;
  /** …and lasting this long. */
  durationMs: number;
  /** Share of charges slowed during an incident, and outside one. */
  slowShare?: number;
  baseSlowShare?: number;
}

/** The first incident 20 s after start, then one a minute: a newcomer sees a P99 spike within a minute. */
export const DEFAULT_INCIDENTS: IncidentSchedule = {
  periodMs: 60_000,
  offsetMs: 20_000,
  durationMs: 15_000,
  slowShare: 0.5,
  baseSlowShare: 0.01,
};

export const SHOP_SERVICES = ['frontend', 'checkout', 'inventory', 'pricing', 'payment', 'shipping'] as const;
export type ShopServices = Record<(typeof SHOP_SERVICES)[number], RunningService>;

/** Shipping's legacy client sends `traceparent` on 3 requests in 4: every 4th reservation loses it. */
export const LEGACY_DROP_EVERY = 4;

const SKUS = ['sku-espresso', 'sku-grinder', 'sku-kettle', 'sku-beans-1kg', 'sku-filter-pack'];
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

export async function startShop(
  tel: Record<keyof ShopServices, ServiceTelemetry>,
  incidents: IncidentSchedule,
  startedAt: number,
  random: () => number = Math.random,
  queue: Queue = new Queue(),
  /** The database's own log lines for the services' statements (see dbQuery), when there is no real one. */
  dbServer?: DatabaseServerLog,
  /** The real database the statements run on (the platform on PostgreSQL). */
  database?: ShopDatabase,
): Promise<ShopServices> {
  const db = { server: dbServer, database };
  const inIncident = () =>
    (Date.now() - startedAt) % incidents.periodMs >= incidents.offsetMs &&
    (Date.now() - startedAt) % incidents.periodMs < incidents.offsetMs + incidents.durationMs;

  const inventory = await serve(tel.inventory, {
    'GET /stock': async (ctx, span, q) => {
      const sku = q.get('sku') ?? 'unknown';
      span.setAttribute('shop.sku', sku);
      await dbQuery(
        tel.inventory,
        ctx,
        'SELECT',
        'stock',
        'SELECT quantity FROM stock WHERE sku = $1',
        [sku],
        between(1, 6),
        db,
      );
      const quantity = Math.floor(between(0, 40));
      if (quantity < 3)
        tel.inventory.log(ctx, 'WARN', `low stock for ${sku}: ${quantity} left`, {
          'shop.sku': sku,
          'shop.quantity': quantity,
        });
      return { status: 200, body: { sku, quantity } };
    },
    'POST /reserve': async (ctx, span, q) => {
      const sku = q.get('sku') ?? 'unknown';
      span.setAttributes({ 'shop.sku': sku, 'shop.order_id': q.get('order') ?? 'unknown' });
      await dbQuery(
        tel.inventory,
        ctx,
        'UPDATE',
        'stock',
        'UPDATE stock SET reserved = reserved + 1 WHERE sku = $1',
        [sku],
        between(1, 4),
        db,
      );
      return { status: 200, body: { sku, reserved: true } };
    },
  });

  const pricing = await serve(tel.pricing, {
    'GET /price': async (_ctx, span, q) => {
      const sku = q.get('sku') ?? 'unknown';
      span.setAttribute('shop.sku', sku);
      await sleep(between(1, 5));
      return { status: 200, body: { sku, cents: 500 + ((sku.length * 137) % 9000) } };
    },
  });

  const payment = await serve(tel.payment, {
    'POST /charge': async (ctx, span, q) => {
      const order = q.get('order') ?? 'unknown';
      const cents = Number(q.get('cents') ?? 0);
      span.setAttributes({ 'shop.order_id': order, 'shop.amount_cents': cents });
      const slow = random() < (inIncident() ? (incidents.slowShare ?? 0.5) : (incidents.baseSlowShare ?? 0.01));
      // Each attempt at the card gateway is a CLIENT span of its own.
      const attempt = async (n: number, ms: number, ok: boolean) => {
        const s = tel.payment.tracer.startSpan(
          'POST card-gateway /authorize',
          { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'card-gateway', 'retry.attempt': n } },
          ctx,
        );
        await sleep(ms);
        if (!ok) s.setStatus({ code: SpanStatusCode.ERROR, message: 'gateway timeout' });
        s.end();
      };
      if (!slow) {
        await attempt(1, between(15, 45), true);
      } else {
        await attempt(1, between(650, 750), false);
        span.addEvent('retry', { 'retry.attempt': 1, 'retry.reason': 'card gateway timed out after 700 ms' });
        tel.payment.log(
          ctx,
          'ERROR',
          `card gateway timed out after 700 ms for order ${order}; retrying (attempt 2 of 2)`,
          { 'shop.order_id': order, 'retry.attempt': 1 },
        );
        const ok = random() >= 0.15;
        await attempt(2, between(250, 350), ok);
        if (!ok) {
          tel.payment.log(
            ctx,
            'ERROR',
            `payment failed for order ${order}: card gateway unavailable after 2 attempts`,
            { 'shop.order_id': order },
          );
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'card gateway unavailable' });
          return { status: 502, body: { error: 'card gateway unavailable' } };
        }
      }
      await dbQuery(
        tel.payment,
        ctx,
        'INSERT',
        'payments',
        'INSERT INTO payments (order_id, amount_cents, status) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING',
        [order, cents, 'captured'],
        between(2, 8),
        // A slow charge's insert waits on the row of the first attempt's transaction, still open until
        // it is rolled back: the database logs the wait and the statement's duration, linked to this
        // span by its comment.
        slow ? { ...db, lockWaitMs: between(200, 300) } : db,
      );
      tel.payment.log(ctx, 'INFO', `charged ${(cents / 100).toFixed(2)} EUR for order ${order}`, {
        'shop.order_id': order,
        'shop.amount_cents': cents,
      });
      return { status: 200, body: { order, authorization: Math.random().toString(36).slice(2, 10) } };
    },
  });

  const checkout = await serve(tel.checkout, {
    'POST /orders': async (ctx, span, q) => {
      const sku = q.get('sku') ?? pick(SKUS);
      const order = `ord-${Math.floor(random() * 1e6)}`;
      span.setAttributes({ 'shop.order_id': order, 'shop.sku': sku });
      const [stock, price] = await Promise.all([
        call(tel.checkout, ctx, inventory, 'GET', `/stock?sku=${sku}`),
        call(tel.checkout, ctx, pricing, 'GET', `/price?sku=${sku}`),
      ]);
      if ((stock.body as { quantity: number }).quantity === 0) {
        tel.checkout.log(ctx, 'WARN', `order ${order} refused: ${sku} is out of stock`, { 'shop.order_id': order });
        return { status: 409, body: { error: 'out of stock' } };
      }
      const cents = (price.body as { cents: number }).cents;
      const paid = await call(tel.checkout, ctx, payment, 'POST', `/charge?order=${order}&cents=${cents}`);
      queue.publish(tel.checkout, ctx, 'order-events', { order, sku, paid: paid.status === 200 ? 1 : 0 });
      if (paid.status !== 200) {
        tel.checkout.log(ctx, 'ERROR', `order ${order} failed: payment answered ${paid.status}`, {
          'shop.order_id': order,
        });
        return { status: 502, body: { error: 'payment failed' } };
      }
      queue.publish(tel.checkout, ctx, 'orders', { order, sku, cents });
      return { status: 201, body: { order, cents } };
    },
  });

  const frontend = await serve(tel.frontend, {
    'GET /': async (ctx) => {
      const prices = await Promise.all(
        SKUS.slice(0, 3).map((sku) => call(tel.frontend, ctx, pricing, 'GET', `/price?sku=${sku}`)),
      );
      return { status: 200, body: { products: prices.map((p) => p.body) } };
    },
    'POST /checkout': async (ctx) => {
      const res = await call(tel.frontend, ctx, checkout, 'POST', `/orders?sku=${pick(SKUS)}`);
      const span = trace.getSpan(ctx);
      if (res.status === 201)
        tel.frontend.log(ctx, 'INFO', `order ${(res.body as { order: string }).order} placed`, {
          'shop.order_id': (res.body as { order: string }).order,
        });
      else span?.setAttribute('shop.checkout_failed', true);
      return { status: res.status === 201 ? 200 : res.status, body: res.body };
    },
  });

  // Shipping serves only its /metrics; its work comes from the queue.
  const shipping = await serve(tel.shipping, {});
  let reservations = 0;
  queue.subscribe('orders', tel.shipping, async (ctx, span, body) => {
    const order = String(body.order);
    const sku = String(body.sku);
    span.setAttributes({ 'shop.order_id': order, 'shop.sku': sku });
    await dbQuery(
      tel.shipping,
      ctx,
      'INSERT',
      'shipments',
      'INSERT INTO shipments (order_id, sku) VALUES ($1, $2)',
      [order, sku],
      between(4, 8),
      // Shipping's legacy driver does not comment its statements: its server lines name no trace, and
      // are linked to its spans by application name and time when only one span fits.
      { ...db, sqlcommenter: false },
    );
    reservations++;
    const propagate = reservations % LEGACY_DROP_EVERY !== 0;
    const res = await call(tel.shipping, ctx, inventory, 'POST', `/reserve?sku=${sku}&order=${order}`, { propagate });
    if (res.status !== 200) throw new Error(`inventory answered ${res.status} to the reservation of ${order}`);
  });

  return { frontend, checkout, inventory, pricing, payment, shipping };
}
