/**
 * The legend under a graph: a swatch for each node type the view has, a line for each kind of
 * edge it draws (IR: order, boundedness, network, cycle; DFIR: delayed edges), and how to move
 * around. Only what the view holds is listed.
 */
import { svgEl } from './draw';
import { IGraph, NodeType, ViewKind } from './protocol';
import {
  CYCLE_COLOR,
  DELAY_COLOR,
  DFIR_LEGEND_TYPES,
  IR_LEGEND_TYPES,
  NODE_BORDER,
  NODE_FILL,
  NO_ORDER_COLOR,
  ORDERED_COLOR
} from './svgstyle';

/** An edge as the legend draws it. */
export interface ILegendLine {
  color: string;
  /** The stroke's dash pattern ('' : solid). */
  dash: string;
  text: string;
  width: number;
}

export const LEGEND_HINT = 'drag: pan · ctrl/⌘+wheel: zoom · click: details';

/** The node types of `graph` the legend names, in the legend's order. */
export function legendTypes(kind: ViewKind, graph: IGraph): NodeType[] {
  const present = new Set(graph.nodes.map(n => n.type));
  return (kind === 'dfir' ? DFIR_LEGEND_TYPES : IR_LEGEND_TYPES).filter(t => present.has(t));
}

/** The kinds of edge `graph` draws. */
export function legendLines(kind: ViewKind, graph: IGraph): ILegendLine[] {
  const edges = graph.edges;
  const lines: ILegendLine[] = [];
  const line = (color: string, dash: string, text: string, width: number) => lines.push({ color, dash, text, width });
  if (kind === 'ir') {
    line(ORDERED_COLOR, '', 'ordered', 1.3);
    if (edges.some(e => e.order === 'NoOrder')) {
      line(NO_ORDER_COLOR, '', 'NoOrder', 1.3);
    }
    if (edges.some(e => e.bound === 'Unbounded')) {
      line(ORDERED_COLOR, '', 'Unbounded (thick)', 2.4);
    }
    if (edges.some(e => e.network)) {
      line(ORDERED_COLOR, '6 4', 'network', 1.3);
    }
    if (edges.some(e => e.cycle)) {
      line(CYCLE_COLOR, '2 3', 'cycle', 1.3);
    }
  } else if (edges.some(e => e.delay)) {
    line(DELAY_COLOR, '', 'delayed (tick / stratum / reference)', 1.3);
  }
  return lines;
}

/** Fills the legend element for a view. */
export function fillLegend(legend: HTMLElement, kind: ViewKind, graph: IGraph): void {
  const d = legend.ownerDocument;
  const items: HTMLElement[] = [];
  for (const t of legendTypes(kind, graph)) {
    const item = d.createElement('span');
    item.className = 'hl-legend-item';
    const sw = d.createElement('span');
    sw.className = 'hl-swatch';
    sw.style.background = NODE_FILL[t];
    sw.style.borderColor = NODE_BORDER[t] ?? '#8a94a6';
    item.appendChild(sw);
    item.appendChild(d.createTextNode(t));
    items.push(item);
  }
  for (const { color, dash, text, width } of legendLines(kind, graph)) {
    const item = d.createElement('span');
    item.className = 'hl-legend-item';
    const svg = svgEl(d, 'svg', { width: 26, height: 10, class: 'hl-legend-line' });
    const attrs: { [k: string]: string | number } = { x1: 1, y1: 5, x2: 25, y2: 5, stroke: color, 'stroke-width': width };
    if (dash) {
      attrs['stroke-dasharray'] = dash;
    }
    svg.appendChild(svgEl(d, 'line', attrs));
    item.appendChild(svg);
    item.appendChild(d.createTextNode(text));
    items.push(item);
  }
  const hint = d.createElement('span');
  hint.className = 'hl-legend-hint';
  hint.textContent = LEGEND_HINT;
  items.push(hint);
  legend.replaceChildren(...items);
}
