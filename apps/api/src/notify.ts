// Sends alerts to Alertmanager with its v2 API (POST /api/v2/alerts), as Prometheus' notifier does
// (notifier/notifier.go at v2.42.0): every configured Alertmanager gets every batch, external labels
// are added, and generatorURL points into pivot (the metrics page at the alert's expression).
import type { Labels } from '@pivot/model';
import type { NotifyAlert } from '@pivot/rules';
import type { Logger } from '@pivot/server-kit';

export interface NotifierOptions {
  urls: string[];
  externalURL: string;
  externalLabels?: Labels;
  logger: Logger;
  timeoutMs?: number;
  /** Tries per Alertmanager and batch, with doubling backoff from 500 ms. */
  attempts?: number;
}

/** Where an alert's "source" link goes: the metrics page with the rule's expression. */
export function generatorURL(externalURL: string, expr: string): string {
  return `${externalURL}/metrics?q=${encodeURIComponent(expr)}`;
}

export function toAlertmanagerAlerts(alerts: NotifyAlert[], externalURL: string, externalLabels: Labels = {}) {
  return alerts.map((a) => ({
    labels: { ...externalLabels, ...a.labels },
    annotations: a.annotations,
    startsAt: new Date(a.startsAtMs).toISOString(),
    endsAt: new Date(a.endsAtMs).toISOString(),
    generatorURL: generatorURL(externalURL, a.expr),
  }));
}

export function alertmanagerNotifier(opts: NotifierOptions): (alerts: NotifyAlert[]) => Promise<void> {
  return async (alerts) => {
    const body = JSON.stringify(toAlertmanagerAlerts(alerts, opts.externalURL, opts.externalLabels));
    await Promise.all(
      opts.urls.map(async (base) => {
        const attempts = opts.attempts ?? 3;
        for (let i = 0; i < attempts; i++) {
          try {
            const res = await fetch(`${base}/api/v2/alerts`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body,
              signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
            });
            if (res.ok) return;
            const text = await res.text().catch(() => '');
            // A 4xx will not get better by sending it again.
            if (res.status < 500) {
              opts.logger.warn({ url: base, status: res.status, body: text }, 'Alertmanager refused alerts');
              return;
            }
            throw new Error(`HTTP ${res.status}: ${text}`);
          } catch (err) {
            if (i === attempts - 1) {
              opts.logger.warn({ err, url: base, alerts: alerts.length }, 'sending alerts to Alertmanager failed');
              return;
            }
            await new Promise((r) => setTimeout(r, 500 * 2 ** i));
          }
        }
      }),
    );
  };
}
