// Dark by default; the choice is kept in localStorage and applied before first paint (app.html).
export type ThemeName = 'dark' | 'light';

class Theme {
  current = $state<ThemeName>(
    typeof document !== 'undefined' && document.documentElement.dataset.theme === 'light' ? 'light' : 'dark',
  );

  set(t: ThemeName): void {
    this.current = t;
    document.documentElement.dataset.theme = t;
    try {
      localStorage.setItem('pivot.theme', t);
    } catch {
      // private mode: the theme lasts for this page only
    }
  }

  toggle(): void {
    this.set(this.current === 'dark' ? 'light' : 'dark');
  }
}

export const theme = new Theme();

/** A CSS variable's current value, for canvas drawing (uPlot) that cannot use var(). */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
