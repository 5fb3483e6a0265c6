/**
 * The layouts of one view kind, kept by what they depend on besides the graph (the folds, and
 * room for a live graph's cluster status): folding a group back takes a kept layout, a layout
 * asked for twice is made once, and a folded graph of moderate size is laid out unfolded too,
 * while the user looks at it, so "Unfold all" only draws.
 */
import { layoutGraph } from './elk';
import { ILayout, Measure, fromElk, toElk } from './layout';
import { IGraphIndex, IVisibleGraph, groupTitle, visibleGraph } from './model';
import { IGraph } from './protocol';

/** A visible graph with its layout. */
export interface ILaidOutView {
  vis: IVisibleGraph;
  layout: ILayout;
  /** The time ELK took. */
  layoutMs: number;
}

/** What laying out one view kind reads and keeps (a view kind's data has these fields). */
export interface ILayoutsOf {
  graph: IGraph;
  index: IGraphIndex;
  /** Recent layouts by {@link layoutKey} (folding a group back is a cache hit), newest last. */
  layouts: Map<string, ILaidOutView>;
  /** Layouts the worker is making, so one asked for twice is made once. */
  pending: Map<string, Promise<ILaidOutView>>;
}

/** Layouts kept per view kind. */
export const KEEP_LAYOUTS = 6;
/**
 * A folded graph up to this many operators is also laid out unfolded, in the worker, right after
 * it is drawn. (A larger one would keep the worker busy for seconds.)
 */
export const SPECULATE_MAX_OPERATORS = 800;

/** What a layout depends on besides the graph: the folds, and room for live clusters' status. */
export function layoutKey(folded: Set<string>, live: boolean): string {
  return [...folded].sort().join('\u0000') + (live ? '\u0001live' : '');
}

/** A live graph's clusters get a line for their members (alive, killed), boxed or folded. */
export function tallHeaders(graph: IGraph, live: boolean): Set<string> {
  if (!live) {
    return new Set();
  }
  return new Set(graph.groups.filter(g => g.kind === 'cluster').map(g => g.id));
}

/** The layout of `of` under `folded`: kept, being made, or asked of the worker now. */
export function layoutOf(of: ILayoutsOf, folded: Set<string>, live: boolean, measure: Measure): Promise<ILaidOutView> {
  const key = layoutKey(folded, live);
  const kept = of.layouts.get(key);
  if (kept) {
    return Promise.resolve(kept);
  }
  let pending = of.pending.get(key);
  if (!pending) {
    const vis = visibleGraph(of.index, folded);
    const titles = new Map(vis.groups.map(g => [g.id, groupTitle(g.group)]));
    const request = toElk(vis, measure, titles, tallHeaders(of.graph, live));
    pending = layoutGraph(request.graph)
      .then(result => {
        const laid = { vis, layout: fromElk(request, result.graph), layoutMs: result.ms };
        of.layouts.set(key, laid);
        while (of.layouts.size > KEEP_LAYOUTS) {
          of.layouts.delete(of.layouts.keys().next().value!);
        }
        return laid;
      })
      .finally(() => of.pending.delete(key));
    of.pending.set(key, pending);
  }
  return pending;
}

/** Lays `of` out unfolded ahead of time when it is folded now and not too large (errors ignored). */
export function speculate(of: ILayoutsOf, folded: Set<string>, live: boolean, measure: Measure): void {
  if (folded.size === 0 || of.index.nodes.size > SPECULATE_MAX_OPERATORS) {
    return;
  }
  layoutOf(of, new Set(), live, measure).catch(() => undefined);
}
