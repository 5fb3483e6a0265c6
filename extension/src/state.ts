/**
 * What a graph's viewer remembers across renderers, by payload key: a re-run cell whose output is
 * drawn by a new renderer opens with the view kind, zoom, folds and selection the old one had,
 * minus folds and selections of groups and operators that no longer exist.
 */
import { IGraphIndex, initialFolds, keepExistingFolds } from './model';
import { ViewKind } from './protocol';

/** Scene transform: screen = k · graph + (x, y). */
export interface IZoom {
  k: number;
  x: number;
  y: number;
}

export interface IKindState {
  folded: string[];
  /** `null`: fit to the output (the user has not zoomed or panned). */
  zoom: IZoom | null;
  selection: string | null;
}

export interface IViewState {
  view: ViewKind;
  views: { [kind in ViewKind]?: IKindState };
}

/** Page-wide, by payload key. */
export const viewStates = new Map<string, IViewState>();

/** One view kind's state when a renderer opens it. */
export interface IRestored {
  folded: Set<string>;
  zoom: IZoom | null;
  selection: string | null;
}

export function restoreKind(index: IGraphIndex, saved: IKindState | undefined): IRestored {
  if (!saved) {
    return { folded: initialFolds(index), zoom: null, selection: null };
  }
  return {
    folded: keepExistingFolds(index, saved.folded),
    zoom: saved.zoom ? { ...saved.zoom } : null,
    selection: saved.selection && index.nodes.has(saved.selection) ? saved.selection : null
  };
}

/** Remembers a view's state under its payload key, as copies (later changes do not leak in). */
export function saveViewState(key: string, view: ViewKind, kinds: Iterable<[ViewKind, IRestored]>): void {
  const views: IViewState['views'] = {};
  for (const [kind, k] of kinds) {
    views[kind] = { folded: [...k.folded], zoom: k.zoom ? { ...k.zoom } : null, selection: k.selection };
  }
  viewStates.set(key, { view, views });
}
