/**
 * The toolbar above a graph: its title, the view, zoom, fold and export buttons (each named by
 * its `data-action`, which the browser tests press), the search box and the busy note. It builds
 * the DOM and reports what was pressed or typed; the view decides what that does.
 */
import { ViewKind } from './protocol';

export type Action =
  | 'view-ir'
  | 'view-dfir'
  | 'zoom-in'
  | 'zoom-out'
  | 'fit'
  | 'fold-all'
  | 'unfold-all'
  | 'export-svg'
  | 'export-png';

const DFIR_TIP = 'the compiled DFIR graph: subgraphs and strata by location';

export interface IToolbar {
  title: HTMLSpanElement;
  buttons: Map<Action, HTMLButtonElement>;
  searchInput: HTMLInputElement;
  searchCount: HTMLSpanElement;
  busy: HTMLSpanElement;
}

export interface IToolbarHandlers {
  /** A button was pressed. */
  act(action: Action): void;
  /** The search text changed (typed, or cleared with Escape). */
  search(): void;
  /** Enter (+1) or Shift+Enter (-1) in the search box: the next or previous match. */
  step(by: 1 | -1): void;
}

/** Builds the toolbar at the end of `parent`. */
export function buildToolbar(parent: HTMLElement, on: IToolbarHandlers): IToolbar {
  const d = parent.ownerDocument;
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, into: HTMLElement) => {
    const e = d.createElement(tag);
    e.className = cls;
    into.appendChild(e);
    return e;
  };
  const toolbar = el('div', 'hl-toolbar', parent);
  const title = el('span', 'hl-title', toolbar);
  const buttons = new Map<Action, HTMLButtonElement>();
  const group = (cls = '') => el('span', `hl-tool-group ${cls}`, toolbar);
  const button = (into: HTMLElement, action: Action, text: string, tip: string) => {
    const b = el('button', 'hl-button', into);
    b.type = 'button';
    b.textContent = text;
    b.title = tip;
    b.setAttribute('data-action', action);
    b.addEventListener('click', () => on.act(action));
    buttons.set(action, b);
  };
  const views = group('hl-views');
  button(views, 'view-ir', 'IR', 'the IR graph: operators by location');
  button(views, 'view-dfir', 'DFIR', DFIR_TIP);
  const zoom = group();
  button(zoom, 'zoom-out', '−', 'zoom out (or ctrl/⌘ + wheel)');
  button(zoom, 'zoom-in', '+', 'zoom in (or ctrl/⌘ + wheel)');
  button(zoom, 'fit', 'Fit', 'fit the graph to the output');
  const folds = group();
  button(folds, 'fold-all', 'Fold all', 'fold every location into one node');
  button(folds, 'unfold-all', 'Unfold all', 'show every operator');
  const search = group('hl-search-group');
  const searchInput = el('input', 'hl-search', search);
  searchInput.type = 'search';
  searchInput.placeholder = 'find operator…';
  searchInput.title = 'type an operator name or label; Enter: next match, Shift+Enter: previous';
  searchInput.setAttribute('aria-label', 'find operator');
  const searchCount = el('span', 'hl-search-count', search);
  searchInput.addEventListener('input', () => on.search());
  searchInput.addEventListener('keydown', e => {
    if (e.key === 'Enter') {
      e.preventDefault();
      on.step(e.shiftKey ? -1 : 1);
    } else if (e.key === 'Escape') {
      searchInput.value = '';
      on.search();
    }
  });
  const busy = el('span', 'hl-busy', toolbar);
  busy.hidden = true;
  const exports = group('hl-exports');
  button(exports, 'export-svg', 'SVG', 'download this view as SVG');
  button(exports, 'export-png', 'PNG', 'download this view as PNG (2×)');
  return { title, buttons, searchInput, searchCount, busy };
}

/**
 * Marks the view shown; a payload without a DFIR view greys its button, which says why
 * (`missingDfir`: the payload's note, or null when the view exists).
 */
export function paintViewButtons(toolbar: IToolbar, kind: ViewKind, missingDfir: string | null): void {
  for (const k of ['ir', 'dfir'] as ViewKind[]) {
    const b = toolbar.buttons.get(`view-${k}` as Action)!;
    b.classList.toggle('hl-active', kind === k);
    b.setAttribute('aria-pressed', String(kind === k));
  }
  const dfir = toolbar.buttons.get('view-dfir')!;
  dfir.classList.toggle('hl-unavailable', missingDfir !== null);
  dfir.title = missingDfir !== null ? `no DFIR view: ${missingDfir}` : DFIR_TIP;
}
