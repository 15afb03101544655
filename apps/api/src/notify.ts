// Sends alerts to Alertmanager with its v2 API (POST /api/v2/alerts), as Prometheus' notifier does
// (notifier/notifier.go at v2.42.0): every configured Alertmanager gets every batch, external labels
// are added, and generatorURL points into pivot (the metrics page at the alert's expression).
import type { Labels } from '@pivot/model';
import { alertFingerprint, type AlertmanagerTarget, type NotifyAlert } from '@pivot/rules';
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

/**
 * POSTs `body` to `url`, retrying 5xx and network errors with doubling backoff from `baseDelayMs`;
 * a 4xx is logged and dropped because sending it again will not help. Shared by every sender.
 */
export async function postWithRetries(
  url: string,
  body: string,
  opts: { logger: Logger; what: string; attempts?: number; timeoutMs?: number; baseDelayMs?: number },
): Promise<boolean> {
  const attempts = opts.attempts ?? 3;
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
      if (res.ok) return true;
      const text = await res.text().catch(() => '');
      if (res.status < 500) {
        opts.logger.warn({ url, status: res.status, body: text }, `${opts.what} refused alerts`);
        return false;
      }
      throw new Error(`HTTP ${res.status}: ${text}`);
    } catch (err) {
      if (i === attempts - 1) {
        opts.logger.warn({ err, url }, `sending alerts to ${opts.what} failed`);
        return false;
      }
      await new Promise((r) => setTimeout(r, (opts.baseDelayMs ?? 500) * 2 ** i));
    }
  }
  return false;
}

/**
 * `targets`: Alertmanagers read at each batch (RULES_DIR/alerting.yml, reloaded with the rules), each with
 * its own timeout; merged with `urls` (ALERTMANAGER_URLS), an Alertmanager named in both getting one copy.
 */
export function alertmanagerNotifier(
  opts: NotifierOptions & { targets?: () => readonly AlertmanagerTarget[] },
): (alerts: NotifyAlert[]) => Promise<void> {
  return async (alerts) => {
    const all = new Map<string, number | undefined>(opts.urls.map((u) => [u, opts.timeoutMs]));
    for (const t of opts.targets?.() ?? []) if (!all.has(t.url)) all.set(t.url, t.timeoutMs);
    if (!all.size || !alerts.length) return;
    const body = JSON.stringify(toAlertmanagerAlerts(alerts, opts.externalURL, opts.externalLabels));
    await Promise.all(
      [...all].map(([base, timeoutMs]) =>
        postWithRetries(`${base}/api/v2/alerts`, body, {
          ...opts,
          what: 'Alertmanager',
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        }),
      ),
    );
  };
}

export interface WebhookOptions extends NotifierOptions {
  /** Backoff start; tests shorten it. */
  baseDelayMs?: number;
}

/**
 * Alertmanager's webhook payload (version "4"), so receivers written for Alertmanager work without one.
 * Each batch is one group: labels common to all alerts become commonLabels; the fingerprint is pivot's own
 * alert fingerprint (labels hash), stable across resends so receivers can deduplicate.
 */
export function toWebhookPayload(alerts: NotifyAlert[], externalURL: string, externalLabels: Labels = {}) {
  const items = toAlertmanagerAlerts(alerts, externalURL, externalLabels).map((a, i) => ({
    status: alerts[i]!.endsAtMs <= Date.now() ? 'resolved' : 'firing',
    ...a,
    fingerprint: alertFingerprint(a.labels).toString(16).padStart(16, '0'),
  }));
  const common = (pick: (a: (typeof items)[number]) => Labels): Labels => {
    if (!items.length) return {};
    const [first, ...rest] = items.map(pick);
    return Object.fromEntries(Object.entries(first!).filter(([k, v]) => rest.every((l) => l[k] === v)));
  };
  const commonLabels = common((a) => a.labels);
  return {
    version: '4',
    groupKey: `{}:${JSON.stringify(commonLabels)}`,
    truncatedAlerts: 0,
    status: items.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'pivot',
    groupLabels: {},
    commonLabels,
    commonAnnotations: common((a) => a.annotations),
    externalURL,
    alerts: items,
  };
}

/** Sends each batch to every webhook URL as Alertmanager's webhook receiver would get it. */
export function webhookNotifier(opts: WebhookOptions): (alerts: NotifyAlert[]) => Promise<void> {
  return async (alerts) => {
    if (!alerts.length) return;
    const body = JSON.stringify(toWebhookPayload(alerts, opts.externalURL, opts.externalLabels));
    await Promise.all(opts.urls.map((url) => postWithRetries(url, body, { ...opts, what: 'webhook' })));
  };
}

/** Runs several senders for the same batch. */
export function allNotifiers(
  senders: ((alerts: NotifyAlert[]) => Promise<void>)[],
): ((alerts: NotifyAlert[]) => Promise<void>) | undefined {
  if (!senders.length) return undefined;
  return async (alerts) => {
    await Promise.all(senders.map((s) => s(alerts)));
  };
}
