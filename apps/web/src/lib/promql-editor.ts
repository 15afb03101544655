// The CodeMirror PromQL editor, loaded on demand (it is the biggest dependency of the dashboard, so
// it stays out of the initial bundle): highlighting, and autocomplete of
// metric names, labels and values from our /api/v1/labels and /api/v1/label/*/values, and the
// server's parse errors underlined where they are.
import { EditorView, keymap, placeholder as placeholderExt, drawSelection } from '@codemirror/view';
import { Compartment, EditorState, Prec } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { setDiagnostics, lintGutter } from '@codemirror/lint';
import { syntaxHighlighting, HighlightStyle, bracketMatching } from '@codemirror/language';
import { tags } from '@lezer/highlight';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';
import type { ParseDiagnostic } from './api/client.ts';

export interface PromqlEditor {
  set(doc: string): void;
  get(): string;
  diagnostics(d: readonly ParseDiagnostic[]): void;
  placeholder(text: string): void;
  focus(): void;
  destroy(): void;
}

const highlight = HighlightStyle.define([
  { tag: tags.keyword, color: 'var(--accent)' },
  { tag: tags.function(tags.variableName), color: '#c792ea' },
  { tag: tags.labelName, color: '#f5b83d' },
  { tag: tags.string, color: '#4cc38a' },
  { tag: tags.number, color: '#ff9d6e' },
  { tag: tags.operator, color: 'var(--text-2)' },
  { tag: tags.comment, color: 'var(--text-3)', fontStyle: 'italic' },
]);

const themeExt = EditorView.theme({
  '&': {
    backgroundColor: 'var(--bg)',
    color: 'var(--text)',
    border: '1px solid var(--border)',
    borderRadius: '4px',
    fontSize: '13px',
  },
  '&.cm-focused': { outline: 'none', borderColor: 'var(--accent)' },
  '.cm-content': { fontFamily: 'var(--mono)', padding: '6px 0', caretColor: 'var(--text)' },
  '.cm-line': { padding: '0 8px' },
  '.cm-gutters': { display: 'none' },
  '.cm-tooltip': { backgroundColor: 'var(--bg-2)', border: '1px solid var(--border)', color: 'var(--text)' },
  '.cm-tooltip-autocomplete ul li[aria-selected]': { backgroundColor: 'var(--accent-2)', color: '#fff' },
  '.cm-completionDetail': { color: 'var(--text-3)', marginLeft: '8px' },
  '.cm-diagnostic-error': { borderLeftColor: 'var(--error)' },
  '.cm-lintRange-error': { backgroundImage: 'none', textDecoration: 'underline wavy var(--error)' },
  '.cm-selectionBackground, &.cm-focused .cm-selectionBackground': { backgroundColor: 'var(--selection) !important' },
});

export function createPromqlEditor(
  parent: HTMLElement,
  opts: { doc: string; onChange: (doc: string) => void; onRun: () => void; placeholder?: string },
): PromqlEditor {
  // No client-side linter: it would flag Grafana's $__rate_interval, which the page expands before
  // the server parses the query; the server's parse errors are underlined instead (diagnostics()).
  const promql = new PromQLExtension().activateLinter(false).setComplete({
    remote: {
      url: location.origin,
      httpMethod: 'GET',
      lookbackInterval: 12 * 60 * 60 * 1000,
      cache: { maxAge: 5 * 60 * 1000 },
    },
  });
  const placeholderSlot = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: opts.doc,
      extensions: [
        history(),
        drawSelection(),
        closeBrackets(),
        bracketMatching(),
        autocompletion(),
        lintGutter(),
        syntaxHighlighting(highlight),
        themeExt,
        EditorView.lineWrapping,
        placeholderSlot.of(placeholderExt(opts.placeholder ?? '')),
        // Enter runs the query (as in Prometheus' UI); Shift+Enter inserts a newline. Completion
        // keys come first so Enter still accepts a suggestion.
        Prec.highest(keymap.of([...completionKeymap, { key: 'Enter', run: () => (opts.onRun(), true) }])),
        keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap]),
        promql.asExtension(),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) opts.onChange(u.state.doc.toString());
        }),
        EditorView.contentAttributes.of({ 'aria-label': 'PromQL query', 'data-testid': 'promql-editor' }),
      ],
    }),
  });
  return {
    set(doc) {
      if (doc !== view.state.doc.toString())
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: doc } });
    },
    get: () => view.state.doc.toString(),
    diagnostics(d) {
      const len = view.state.doc.length;
      view.dispatch(
        setDiagnostics(
          view.state,
          d.map((x) => ({
            from: Math.min(x.from, len),
            to: Math.min(Math.max(x.to, x.from), len),
            severity: 'error' as const,
            message: x.message,
          })),
        ),
      );
    },
    placeholder(text) {
      view.dispatch({ effects: placeholderSlot.reconfigure(placeholderExt(text)) });
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
