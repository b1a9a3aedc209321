/**
 * @module editor/codemirror
 * The TraceQL editor, loaded on demand (its own chunk: CodeMirror is most of the
 * viewer's weight). Highlighting runs tracebox's own TraceQL lexer over the query (one
 * grammar, shared with the server); the linter runs its parser and validator, so an
 * error reads exactly as the API would answer it; completion asks the tag APIs.
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, startCompletion, type Completion, type CompletionResult, type CompletionSource } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { linter, type Diagnostic } from '@codemirror/lint';
import { EditorState, RangeSetBuilder } from '@codemirror/state';
import { Decoration, EditorView, keymap, placeholder, ViewPlugin, type DecorationSet, type ViewUpdate } from '@codemirror/view';
import { Lexer, parse, TraceQLSyntaxError, TraceQLValidationError, type Token } from '../../../src/traceql/index.ts';
import { tagScopes, tagValues, type TagScope } from '../api.ts';
import { AFTER_SPANSET, apiTagName, completionContext, INTRINSIC_VALUES, INTRINSICS, SCOPES, valueLiteral } from './complete.ts';

const FUNCTIONS = new Set(['count', 'avg', 'max', 'min', 'sum', 'by', 'coalesce', 'select', 'rate', 'count_over_time', 'min_over_time', 'max_over_time', 'avg_over_time', 'sum_over_time', 'quantile_over_time', 'histogram_over_time', 'compare', 'topk', 'bottomk', 'with']);
const VALUES = new Set(['true', 'false', 'nil', 'ok', 'error', 'unset', 'unspecified', 'internal', 'server', 'client', 'producer', 'consumer']);

function tokenClass(t: Token): string | undefined {
  switch (t.kind) {
    case 'ATTRIBUTE':
      return 'tq-attr';
    case 'STRING':
      return 'tq-string';
    case 'INTEGER':
    case 'FLOAT':
    case 'DURATION':
      return 'tq-number';
    case '{':
    case '}':
      return 'tq-brace';
    case 'IDENTIFIER':
      return 'tq-ident';
    case '$end':
      return undefined;
    default:
      if (FUNCTIONS.has(t.kind)) return 'tq-fn';
      if (VALUES.has(t.kind)) return 'tq-value';
      if (/^[a-zA-Z]/.test(t.kind)) return 'tq-intrinsic';
      return 'tq-op';
  }
}

const marks = new Map<string, Decoration>();
const mark = (cls: string): Decoration => {
  let d = marks.get(cls);
  if (d === undefined) marks.set(cls, (d = Decoration.mark({ class: cls })));
  return d;
};

function highlight(text: string): DecorationSet {
  const b = new RangeSetBuilder<Decoration>();
  const lexer = new Lexer(text);
  try {
    for (let i = 0; i < 10_000; i++) {
      const t = lexer.next();
      if (t.kind === '$end') break;
      const cls = tokenClass(t);
      if (cls !== undefined && t.to > t.from) b.add(t.from, t.to, mark(cls));
    }
  } catch (err) {
    if (err instanceof TraceQLSyntaxError && err.from < text.length) b.add(err.from, text.length, mark('tq-bad'));
  }
  return b.finish();
}

const highlighter = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = highlight(view.state.doc.toString());
    }
    update(u: ViewUpdate) {
      if (u.docChanged) this.decorations = highlight(u.state.doc.toString());
    }
  },
  { decorations: (v) => v.decorations },
);

const traceqlLinter = linter(
  (view): Diagnostic[] => {
    const text = view.state.doc.toString();
    if (text.trim() === '') return [];
    try {
      parse(text);
      return [];
    } catch (err) {
      if (err instanceof TraceQLSyntaxError || err instanceof TraceQLValidationError) {
        const from = Math.min(err.from, text.length);
        const to = Math.max(Math.min(err.to, text.length), Math.min(from + 1, text.length));
        return [{ from: from === to && from > 0 ? from - 1 : from, to, severity: 'error', message: err.message }];
      }
      return [];
    }
  },
  { delay: 250 },
);

// ---------------------------------------------------------------- completion

let scopesCache: Promise<TagScope[]> | undefined;
const valuesCache = new Map<string, Promise<Array<{ type: string; value: string }>>>();

function scopes(): Promise<TagScope[]> {
  scopesCache ??= tagScopes().catch(() => {
    scopesCache = undefined;
    return [];
  });
  return scopesCache;
}

function values(tag: string): Promise<Array<{ type: string; value: string }>> {
  let p = valuesCache.get(tag);
  if (p === undefined) {
    p = tagValues(tag).catch(() => []);
    valuesCache.set(tag, p);
    setTimeout(() => valuesCache.delete(tag), 30_000);
  }
  return p;
}

const SCOPE_OF: Record<string, string> = { 'resource.': 'resource', 'span.': 'span', 'event.': 'event', 'link.': 'link', 'instrumentation.': 'instrumentation' };

const source: CompletionSource = async (ctx): Promise<CompletionResult | null> => {
  const before = ctx.state.doc.sliceString(0, ctx.pos);
  const c = completionContext(before);
  switch (c.kind) {
    case 'start':
      return { from: c.from, options: [{ label: '{ }', type: 'keyword', detail: 'spanset filter', apply: '{  }' }] };
    case 'operator':
      return { from: c.from, options: AFTER_SPANSET.map((o) => ({ label: o.label, detail: o.detail, type: 'operator' })) };
    case 'field': {
      const all = await scopes();
      const options: Completion[] = [
        ...SCOPES.map((s) => ({ label: s, type: 'namespace', detail: s === '.' ? 'any scope' : 'scope', boost: 2 })),
        ...INTRINSICS.map((i) => ({ label: i, type: 'keyword', detail: 'intrinsic', boost: 1 })),
        ...all
          .filter((s) => s.name === 'resource' || s.name === 'span')
          .flatMap((s) => s.tags.map((t) => ({ label: `${s.name}.${t}`, type: 'property', detail: s.name }))),
      ];
      return { from: c.from, options, validFor: /^[\w.:]*$/ };
    }
    case 'tag': {
      const all = await scopes();
      const bare = c.scope.replace(/^parent\./, '');
      const wanted = SCOPE_OF[bare];
      const tags = new Set<string>();
      for (const s of all) if ((wanted === undefined && s.name !== 'intrinsic') || s.name === wanted) for (const t of s.tags) tags.add(t);
      const quoteIfNeeded = (t: string): string => (/^[\w.-]+$/.test(t) ? t : `"${t.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
      return {
        from: c.from,
        options: [...tags].sort().map((t) => ({ label: c.scope + quoteIfNeeded(t), type: 'property', detail: wanted ?? 'attribute' })),
        validFor: /^[\w.:"-]*$/,
      };
    }
    case 'value': {
      const fixed = INTRINSIC_VALUES[c.tag];
      if (fixed !== undefined) return { from: c.from, options: fixed.map((v) => ({ label: v, type: 'enum' })) };
      const list = await values(apiTagName(c.tag));
      return {
        from: c.from,
        options: list.slice(0, 500).map((v) => ({ label: valueLiteral(v.value, v.type), displayLabel: v.value, detail: v.type, type: 'text' })),
        filter: true,
      };
    }
    default:
      return null;
  }
};

export interface EditorOptions {
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly onRun: () => void;
  readonly placeholder?: string;
}

export interface EditorHandle {
  setValue(value: string): void;
  focus(): void;
  destroy(): void;
}

export function mountEditor(parent: HTMLElement, o: EditorOptions): EditorHandle {
  let external = false;
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: o.value,
      extensions: [
        history(),
        closeBrackets(),
        autocompletion({ override: [source], activateOnTyping: true, icons: false, maxRenderedOptions: 80 }),
        keymap.of([
          { key: 'Mod-Enter', run: () => (o.onRun(), true) },
          { key: 'Shift-Enter', run: () => (o.onRun(), true) },
          ...closeBracketsKeymap,
          ...completionKeymap,
          { key: 'Enter', run: () => (o.onRun(), true) },
          { key: 'Ctrl-Space', run: startCompletion },
          ...defaultKeymap,
          ...historyKeymap,
        ]),
        highlighter,
        traceqlLinter,
        placeholder(o.placeholder ?? '{ resource.service.name = "checkout" && duration > 1s }'),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': 'TraceQL query', spellcheck: 'false', 'data-testid': 'traceql' }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged && !external) o.onChange(u.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    setValue(value) {
      if (value === view.state.doc.toString()) return;
      external = true;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: value } });
      external = false;
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
