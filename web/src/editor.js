// CodeMirror 6 editor for one policy document: JSON highlighting, keyward lint markers (from the
// WASM `lint` spans), and a highlight layer for the statements that decided a request.
import { EditorState, StateEffect, StateField, RangeSetBuilder } from '@codemirror/state';
import {
  EditorView, Decoration, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { json } from '@codemirror/lang-json';
import { syntaxHighlighting, HighlightStyle, bracketMatching, indentOnInput } from '@codemirror/language';
import { linter, lintGutter, forceLinting } from '@codemirror/lint';
import { tags as t } from '@lezer/highlight';

// Colours chosen for at least 4.5:1 contrast on the editor's white background.
const jsonHighlight = HighlightStyle.define([
  { tag: t.propertyName, color: '#1a4e8a' },
  { tag: t.string, color: '#0b6b2f' },
  { tag: t.number, color: '#8a3b00' },
  { tag: [t.bool, t.null], color: '#7a1fa2', fontWeight: 'bold' },
  { tag: t.invalid, color: '#b00020' },
]);

const SEVERITY = { ERROR: 'error', SECURITY_WARNING: 'warning', WARNING: 'warning', SUGGESTION: 'info' };

/** Replaces the highlighted ranges: `[{from, to, cls}]` in UTF-16 offsets. */
export const setHighlights = StateEffect.define();

const highlightField = StateField.define({
  create: () => Decoration.none,
  update(value, tr) {
    let next = value.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setHighlights)) continue;
      const len = tr.state.doc.length;
      const ranges = e.value
        .map((r) => ({ ...r, from: Math.max(0, Math.min(r.from, len)), to: Math.max(0, Math.min(r.to, len)) }))
        .filter((r) => r.to > r.from)
        .sort((a, b) => a.from - b.from);
      const builder = new RangeSetBuilder();
      for (const r of ranges) builder.add(r.from, r.to, Decoration.mark({ class: r.cls }));
      next = builder.finish();
    }
    return next;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/**
 * Creates an editor in `parent`.
 * - `label`: accessible name of the text area;
 * - `lintText(text)`: returns keyward findings (LintFinding[]) for the text;
 * - `onFindings(findings)`: told after every lint pass;
 * - `onChange(text)`: told after every edit.
 */
export function createEditor({ parent, text, label, lintText, onFindings, onChange }) {
  const keywardLinter = linter(
    (view) => {
      const doc = view.state.doc;
      const findings = lintText(doc.toString());
      onFindings?.(findings);
      return findings.map((f) => {
        const from = Math.min(f.start16, doc.length);
        let to = Math.min(Math.max(f.end16, from), doc.length);
        // A zero-width finding still needs a visible range: mark one character (or the line end).
        if (to === from) to = Math.min(from + 1, doc.length);
        return {
          from,
          to,
          severity: SEVERITY[f.severity] || 'error',
          source: f.code,
          message: f.fix ? `${f.message} (fix: ${f.fix})` : f.message,
        };
      });
    },
    { delay: 200 },
  );

  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        json(),
        syntaxHighlighting(jsonHighlight),
        lintGutter(),
        keywardLinter,
        highlightField,
        // Tab is left to the browser so keyboard users can leave the editor.
        keymap.of([...defaultKeymap, ...historyKeymap]),
        EditorView.contentAttributes.of({ 'aria-label': label }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange?.(u.state.doc.toString());
        }),
      ],
    }),
  });

  return {
    view,
    getText: () => view.state.doc.toString(),
    setText(next) {
      if (next === view.state.doc.toString()) return;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } });
    },
    highlight(ranges, scrollTo) {
      const effects = [setHighlights.of(ranges)];
      if (scrollTo != null) {
        const pos = Math.min(scrollTo, view.state.doc.length);
        effects.push(EditorView.scrollIntoView(pos, { y: 'center' }));
      }
      view.dispatch({ effects });
    },
    relint: () => forceLinting(view),
  };
}
