/**
 * Live values on a drawn graph, as small edits of the drawing (never a layout): count badges (a
 * folded group's summary sums its operators'), rates on network nodes and ports, a replay step's
 * lit nodes and edges with the rest faded, and a cluster's members alive and killed, on its box
 * or on its summary.
 */
import { IDrawn, Markers, setCount, setEdgeLit, setGroupStatus, setRate } from './draw';
import { ILayout } from './layout';
import { IGraphIndex, IVisibleGraph, compactNumber, rateText } from './model';
import { IGroupStatus, IOverlay, NodeType } from './protocol';
import { edgeLook } from './svgstyle';

/** A drawing on screen, as the overlay edits it. */
export interface IDrawing {
  drawn: IDrawn;
  vis: IVisibleGraph;
  layout: ILayout;
  /** The drawing's arrowheads (a lit edge's takes the lit colour). */
  markers: Markers;
  /** The outer `<svg>`: it carries `hl-lit-mode` while a replay step is lit. */
  svg: SVGSVGElement;
}

/** Counts by drawn node: an operator's own, or the sum over a folded group's operators. */
export function shownCounts(vis: IVisibleGraph, counts: { [nodeId: string]: number }): Map<string, number> {
  const sums = new Map<string, number>();
  for (const op in counts) {
    const shown = vis.shownAs.get(op);
    if (shown !== undefined) {
      sums.set(shown, (sums.get(shown) ?? 0) + counts[op]);
    }
  }
  return sums;
}

/** "2/3 alive" (the member count from the status, else from the payload), or null when unknown. */
export function aliveText(status: IGroupStatus | undefined, members: number | null): string | null {
  return status && status.alive !== undefined ? `${status.alive}/${status.members ?? members ?? '?'} alive` : null;
}

/**
 * Paints `overlay` (counts, rates, lit) and the clusters' `groups` status on the drawing.
 * `index`: the drawn view's, for the member counts the payload knows.
 */
export function paintOverlay(
  drawing: IDrawing,
  overlay: IOverlay | undefined,
  groups: { [group: string]: IGroupStatus },
  index: IGraphIndex | undefined
): void {
  const { drawn, vis, layout, markers, svg } = drawing;
  const doc = svg.ownerDocument;
  const counts = overlay?.counts ?? {};
  const rates = overlay?.rates ?? {};
  const lit = !!overlay?.lit;
  const sums = shownCounts(vis, counts);
  for (const n of vis.nodes) {
    const g = drawn.nodes.get(n.id);
    const box = layout.nodes.get(n.id);
    if (!g || !box) {
      continue;
    }
    const c = sums.get(n.id);
    setCount(doc, g, box.w, c === undefined ? null : compactNumber(c));
    if (c === undefined) {
      g.removeAttribute('data-count');
    } else {
      g.setAttribute('data-count', String(c));
    }
    const type: NodeType | undefined = n.node?.type;
    const r = n.node && (type === 'network' || type === 'port') ? rates[n.id] : undefined;
    setRate(doc, g, box, r === undefined ? null : rateText(r));
    g.classList.toggle('hl-lit', lit && c !== undefined);
    g.classList.toggle('hl-faded', lit && c === undefined);
  }
  vis.edges.forEach((e, i) => {
    const g = drawn.edges[i];
    if (!g) {
      return;
    }
    const on = lit && sums.has(e.src) && sums.has(e.dst);
    if (g.classList.contains('hl-lit') !== on) {
      const look = edgeLook(e.edges[0]);
      setEdgeLit(markers, g, on, look.head, look.color);
    }
    g.classList.toggle('hl-lit', on);
    g.classList.toggle('hl-faded', lit && !on);
  });
  svg.classList.toggle('hl-lit-mode', lit);
  for (const [gid, el] of drawn.groups) {
    const st = groups[gid];
    const members = index?.groups.get(gid)?.members ?? null;
    setGroupStatus(doc, el, aliveText(st, members), st?.killed ?? []);
    el.classList.toggle('hl-has-killed', !!st?.killed?.length);
  }
  for (const n of vis.nodes) {
    if (!n.group) {
      continue;
    }
    const st = groups[n.group.id];
    const el = drawn.nodes.get(n.id);
    if (el) {
      setGroupStatus(doc, el, aliveText(st, n.group.members ?? null), st?.killed ?? []);
      el.classList.toggle('hl-has-killed', !!st?.killed?.length);
    }
  }
}
