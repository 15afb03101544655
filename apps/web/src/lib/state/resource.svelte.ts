// An async value with its loading and error state. A new load aborts the one in flight, so a slow
// old answer can never overwrite a newer one.
import { isAbort } from '../api/client.ts';

export class Resource<T> {
  data = $state.raw<T | undefined>(undefined);
  error = $state.raw<unknown>(undefined);
  loading = $state(false);
  /** Wall-clock ms of the last successful load. */
  loadedAt = $state(0);
  #ctrl: AbortController | undefined;

  async load(fn: (signal: AbortSignal) => Promise<T>, opts: { keepData?: boolean } = {}): Promise<void> {
    this.#ctrl?.abort();
    const ctrl = new AbortController();
    this.#ctrl = ctrl;
    this.loading = true;
    if (!opts.keepData) this.data = undefined;
    try {
      const value = await fn(ctrl.signal);
      if (ctrl.signal.aborted) return;
      this.data = value;
      this.error = undefined;
      this.loadedAt = Date.now();
    } catch (e) {
      if (isAbort(e) || ctrl.signal.aborted) return;
      this.error = e;
    } finally {
      if (this.#ctrl === ctrl) this.loading = false;
    }
  }

  abort(): void {
    this.#ctrl?.abort();
    this.loading = false;
  }
}
