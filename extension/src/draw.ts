/**
 * The SVG of a laid-out visible graph, built in one pass (no measuring of the DOM, so no forced
 * reflow), and the small edits live values make to it afterwards (count badges, rates, a cluster's
 * members). Every user string goes in as a text node: nothing here is ever parsed as HTML.
 */
import {
  IVisibleGraph,
  IVisibleNode,
  describeEdge,
  groupTitle
} from './model';
import {
  ILayout,
  LINE_HEIGHT,
  TOGGLE_SIZE,
  edgeLabel,
  labelLines
} from './layout';
import {
  DEFAULT_NODE_BORDER,
  GROUP_LOOK,
  Head,
  LIT_BORDER,
  NODE_BORDER,
  NODE_FILL,
  UNKNOWN_GROUP_LOOK,
  edgeLook
} from './svgstyle';

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** What was drawn, for the edits that follow. */
export interface IDrawn {
  scene: SVGGElement;
  /** By visible node id (operator id, or a summary's id). */
  nodes: Map<string, SVGGElement>;
  groups: Map<string, SVGGElement>;
  /** By position in the visible graph's edges. */
  edges: (SVGGElement | null)[];
  /** Operator nodes drawn (summaries not counted). */
  operators: number;
}

export function svgEl<K extends keyof SVGElementTagNameMap>(
  doc: Document,
  tag: K,
  attrs: { [name: string]: string | number } = {}
): SVGElementTagNameMap[K] {
  const el = doc.createElementNS(SVG_NS, tag);
  for (const name in attrs) {
    el.setAttribute(name, String(attrs[name]));
  }
  return el;
}

function textEl(
  doc: Document,
  text: string,
  attrs: { [name: string]: string | number }
): SVGTextElement {
  const el = svgEl(doc, 'text', attrs);
  el.textContent = text;
  return el;
}

function titleEl(doc: Document, text: string): SVGTitleElement {
  const el = svgEl(doc, 'title');
  el.textContent = text;
  return el;
}

/** Arrowhead markers, made once per (shape, colour) in this drawing's `<defs>`. */
export class Markers {
  private made = new Set<string>();
  constructor(
    private doc: Document,
    readonly defs: SVGDefsElement,
    private uid: string
  ) {}

  url(head: Head, color: string): string {
    const id = `${this.uid}-${head}-${color.replace('#', '')}`;
    if (!this.made.has(id)) {
      this.made.add(id);
      this.defs.appendChild(this.marker(id, head, color));
    }
    return `url(#${id})`;
  }

  private marker(id: string, head: Head, color: string): SVGMarkerElement {
    const d = this.doc;
    const wide = head === 'double' || head === 'dotdot';
    const w = wide ? 16 : 9;
    const m = svgEl(d, 'marker', {
      id,
      viewBox: `0 0 ${w} 9`,
      refX: w,
      refY: 4.5,
      markerWidth: w,
      markerHeight: 9,
      markerUnits: 'userSpaceOnUse',
      orient: 'auto'
    });
    const filled = { fill: color, stroke: color, 'stroke-width': 1 };
    const open = { fill: '#ffffff', stroke: color, 'stroke-width': 1.4 };
    switch (head) {
      case 'normal':
        m.appendChild(svgEl(d, 'path', { d: 'M0,0.5 L9,4.5 L0,8.5 z', ...filled }));
        break;
      case 'double':
        m.appendChild(
          svgEl(d, 'path', { d: 'M0,0.5 L8,4.5 L0,8.5 z M8,0.5 L16,4.5 L8,8.5 z', ...filled })
        );
        break;
      case 'dot':
        m.appendChild(svgEl(d, 'circle', { cx: 4.5, cy: 4.5, r: 3.6, ...filled }));
        break;
      case 'odot':
        m.appendChild(svgEl(d, 'circle', { cx: 4.5, cy: 4.5, r: 3.5, ...open }));
        break;
      case 'dotdot':
        m.appendChild(svgEl(d, 'circle', { cx: 4, cy: 4.5, r: 3.4, ...filled }));
        m.appendChild(svgEl(d, 'circle', { cx: 12, cy: 4.5, r: 3.4, ...filled }));
        break;
      case 'tee':
        m.appendChild(svgEl(d, 'path', { d: 'M0,0.5 L6,4.5 L0,8.5 z', ...filled }));
        m.appendChild(svgEl(d, 'rect', { x: 7, y: 0, width: 2, height: 9, fill: color }));
        break;
      case 'vee':
        m.appendChild(
          svgEl(d, 'path', {
            d: 'M0,0.5 L9,4.5 L0,8.5',
            fill: 'none',
            stroke: color,
            'stroke-width': 1.6
          })
        );
        break;
    }
    return m;
  }
}

export interface IDrawOptions {
  markers: Markers;
  /** Groups with a status line (live clusters): a taller header, or a summary's extra line. */
  tallHeaders?: ReadonlySet<string>;
}

/** The whole scene: group boxes (outer first), then edges, then nodes on top. */
export function drawGraph(
  doc: Document,
  vis: IVisibleGraph,
  layout: ILayout,
  options: IDrawOptions
): IDrawn {
  const scene = svgEl(doc, 'g', { class: 'hl-content' });
  const groupLayer = svgEl(doc, 'g', { class: 'hl-groups' });
  const edgeLayer = svgEl(doc, 'g', { class: 'hl-edges' });
  const nodeLayer = svgEl(doc, 'g', { class: 'hl-nodes' });
  const groups = new Map<string, SVGGElement>();
  const nodes = new Map<string, SVGGElement>();
  const edges: (SVGGElement | null)[] = [];

  const ordered = [...vis.groups].sort((a, b) => a.depth - b.depth);
  for (const g of ordered) {
    const box = layout.groups.get(g.id);
    if (!box) {
      continue;
    }
    const el = drawGroup(doc, g.id, g.group.kind, groupTitle(g.group), box);
    groups.set(g.id, el);
    groupLayer.appendChild(el);
  }

  vis.edges.forEach((e, i) => {
    const path = layout.edges[i];
    if (!path || path.points.length === 0) {
      edges.push(null);
      return;
    }
    const first = e.edges[0];
    const look = edgeLook(first);
    const g = svgEl(doc, 'g', { class: ['hl-edge', ...look.classes].join(' '), 'data-id': e.id });
    if (e.edges.length > 1) {
      g.setAttribute('data-merged', String(e.edges.length));
    }
    const what = describeEdge(first);
    g.appendChild(
      titleEl(doc, e.edges.length > 1 ? `${e.edges.length} edges` + (what ? ` (${what}, ...)` : '') : what)
    );
    let d = '';
    for (const line of path.points) {
      d += 'M' + line.map(([x, y]) => `${round(x)},${round(y)}`).join('L');
    }
    const attrs: { [name: string]: string | number } = {
      d,
      stroke: look.color,
      'stroke-width': look.width,
      'marker-end': options.markers.url(look.head, look.color)
    };
    if (look.dash) {
      attrs['stroke-dasharray'] = look.dash;
    }
    g.appendChild(svgEl(doc, 'path', attrs));
    if (path.label) {
      const l = path.label;
      g.appendChild(
        textEl(doc, edgeLabel(e), {
          class: 'hl-edge-label',
          x: round(l.x + l.w / 2),
          y: round(l.y + l.h - 3),
          'text-anchor': 'middle'
        })
      );
    }
    edges.push(g);
    edgeLayer.appendChild(g);
  });

  let operators = 0;
  for (const n of vis.nodes) {
    const box = layout.nodes.get(n.id);
    if (!box) {
      continue;
    }
    const el = drawNode(doc, n, box, options.tallHeaders ?? new Set());
    if (!n.group) {
      operators++;
    }
    nodes.set(n.id, el);
    nodeLayer.appendChild(el);
  }

  scene.appendChild(groupLayer);
  scene.appendChild(edgeLayer);
  scene.appendChild(nodeLayer);
  return { scene, nodes, groups, edges, operators };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

function drawGroup(
  doc: Document,
  id: string,
  kind: string,
  title: string,
  box: { x: number; y: number; w: number; h: number }
): SVGGElement {
  const look = GROUP_LOOK[kind as keyof typeof GROUP_LOOK] ?? UNKNOWN_GROUP_LOOK;
  const g = svgEl(doc, 'g', { class: `hl-group hl-kind-${kind}`, 'data-id': id, 'data-kind': kind });
  const rect: { [name: string]: string | number } = {
    class: 'hl-group-box',
    x: round(box.x),
    y: round(box.y),
    width: round(box.w),
    height: round(box.h),
    rx: 6,
    fill: look.fill,
    stroke: look.stroke,
    'stroke-width': kind === 'subgraph' || kind === 'stratum' ? 1 : 1.6
  };
  if (look.dashed) {
    rect['stroke-dasharray'] = '6 3';
  }
  g.appendChild(svgEl(doc, 'rect', rect));
  const tx = box.x + 8;
  const ty = box.y + 7;
  const toggle = svgEl(doc, 'g', {
    class: 'hl-fold-toggle',
    transform: `translate(${round(tx)},${round(ty)})`,
    role: 'button'
  });
  toggle.appendChild(titleEl(doc, 'fold this group'));
  toggle.appendChild(
    svgEl(doc, 'rect', {
      width: TOGGLE_SIZE,
      height: TOGGLE_SIZE,
      rx: 2,
      stroke: look.stroke,
      'stroke-width': 1
    })
  );
  toggle.appendChild(
    svgEl(doc, 'path', { d: `M3,${TOGGLE_SIZE / 2}H${TOGGLE_SIZE - 3}`, stroke: look.stroke, 'stroke-width': 1.6 })
  );
  g.appendChild(toggle);
  const lx = tx + TOGGLE_SIZE + 6;
  g.appendChild(
    textEl(doc, title, {
      class: 'hl-group-label',
      x: round(lx),
      y: round(box.y + 17),
      fill: look.stroke
    })
  );
  return g;
}

function drawNode(
  doc: Document,
  n: IVisibleNode,
  box: { x: number; y: number; w: number; h: number },
  tall: ReadonlySet<string>
): SVGGElement {
  const g = svgEl(doc, 'g', { transform: `translate(${round(box.x)},${round(box.y)})` });
  const lines = labelLines(n.label);
  if (n.group) {
    const look = GROUP_LOOK[n.group.kind] ?? UNKNOWN_GROUP_LOOK;
    g.setAttribute('class', `hl-node hl-summary hl-kind-${n.group.kind}`);
    g.setAttribute('data-group', n.group.id);
    g.appendChild(titleEl(doc, `${n.label.replace('\n', ': ')} (folded; click to unfold)`));
    // A second box peeking out behind: a folded group holds more than it shows.
    g.appendChild(
      svgEl(doc, 'rect', {
        x: 4,
        y: 4,
        width: round(box.w),
        height: round(box.h),
        rx: 8,
        fill: look.fill,
        stroke: look.stroke,
        'stroke-width': 1.2
      })
    );
    const rect: { [name: string]: string | number } = {
      class: 'hl-node-box',
      width: round(box.w),
      height: round(box.h),
      rx: 8,
      fill: look.fill,
      stroke: look.stroke,
      'stroke-width': 2
    };
    if (look.dashed) {
      rect['stroke-dasharray'] = '6 3';
    }
    g.appendChild(svgEl(doc, 'rect', rect));
  } else {
    const node = n.node!;
    g.setAttribute('class', `hl-node hl-type-${node.type}`);
    g.setAttribute('data-id', node.id);
    g.setAttribute('data-op', node.op ?? '');
    const tip = [node.long_label || node.label, node.kind].filter(x => !!x).join('\n');
    g.appendChild(titleEl(doc, tip));
    g.appendChild(
      svgEl(doc, 'rect', {
        class: 'hl-node-box',
        width: round(box.w),
        height: round(box.h),
        rx: node.type === 'network' || node.type === 'port' ? 10 : 4,
        fill: NODE_FILL[node.type] ?? '#ffffff',
        stroke: NODE_BORDER[node.type] ?? DEFAULT_NODE_BORDER,
        'stroke-width': node.type === 'network' || node.type === 'nondet' ? 1.8 : 1
      })
    );
  }
  const text = svgEl(doc, 'text', { class: 'hl-label', 'text-anchor': 'middle' });
  // A summary with a status line below its label: the label centres in the rest.
  const h = n.group && tall.has(n.group.id) ? box.h - LINE_HEIGHT : box.h;
  const top = h / 2 - ((lines.length - 1) * LINE_HEIGHT) / 2 + 4;
  lines.forEach((line, i) => {
    const span = svgEl(doc, 'tspan', { x: round(box.w / 2), y: round(top + i * LINE_HEIGHT) });
    span.textContent = line;
    text.appendChild(span);
  });
  g.appendChild(text);
  return g;
}

/** Sets (or, with `null`, removes) the count badge at a node's top-right corner. */
export function setCount(doc: Document, node: SVGGElement, width: number, text: string | null): void {
  let badge = node.querySelector(':scope > .hl-count') as SVGGElement | null;
  if (text === null) {
    badge?.remove();
    return;
  }
  const w = Math.max(18, text.length * 6.2 + 8);
  if (!badge) {
    badge = svgEl(doc, 'g', { class: 'hl-count' });
    badge.appendChild(svgEl(doc, 'rect', { height: 15, rx: 7.5 }));
    badge.appendChild(svgEl(doc, 'text', { y: 11, 'text-anchor': 'middle' }));
    node.appendChild(badge);
  }
  const [rect, label] = [badge.firstChild as SVGRectElement, badge.lastChild as SVGTextElement];
  if (label.textContent !== text) {
    badge.setAttribute('transform', `translate(${round(width - w + 6)},-9)`);
    rect.setAttribute('width', String(round(w)));
    label.setAttribute('x', String(round(w / 2)));
    label.textContent = text;
  }
}

/** Sets (or removes) the rate: a pill on a node's bottom-left corner (edges leave from the middle). */
export function setRate(doc: Document, node: SVGGElement, box: { w: number; h: number }, text: string | null): void {
  let rate = node.querySelector(':scope > .hl-rate') as SVGGElement | null;
  if (text === null) {
    rate?.remove();
    return;
  }
  if (!rate) {
    rate = svgEl(doc, 'g', { class: 'hl-rate' });
    rate.appendChild(svgEl(doc, 'rect', { height: 14, rx: 7 }));
    rate.appendChild(svgEl(doc, 'text', { y: 10.5, 'text-anchor': 'middle' }));
    node.appendChild(rate);
  }
  const [rect, label] = [rate.firstChild as SVGRectElement, rate.lastChild as SVGTextElement];
  if (label.textContent !== text) {
    const w = text.length * 6 + 10;
    rate.setAttribute('transform', `translate(-6,${round(box.h - 7)})`);
    rect.setAttribute('width', String(round(w)));
    label.setAttribute('x', String(round(w / 2)));
    label.textContent = text;
  }
}

/** A cluster's live membership after its title: "2/3 alive", and killed members in red. */
export function setGroupStatus(
  doc: Document,
  group: SVGGElement,
  alive: string | null,
  killed: string[]
): void {
  let status = group.querySelector(':scope > .hl-group-status') as SVGTextElement | null;
  if (alive === null && killed.length === 0) {
    status?.remove();
    return;
  }
  if (!status) {
    // A box: the second header line; a folded summary: its last line (the layout made room).
    const summary = group.classList.contains('hl-summary');
    const label = group.querySelector(':scope > .hl-group-label') as SVGTextElement | null;
    const box = group.querySelector(':scope > .hl-node-box');
    status = svgEl(doc, 'text', {
      class: 'hl-group-status',
      x: summary ? Number(box?.getAttribute('width') ?? 0) / 2 : label?.getAttribute('x') ?? '0',
      y: summary
        ? Number(box?.getAttribute('height') ?? 0) - 8
        : Number(label?.getAttribute('y') ?? '0') + 14,
      'text-anchor': summary ? 'middle' : 'start'
    });
    group.appendChild(status);
  }
  const parts: Node[] = [];
  if (alive !== null) {
    const span = svgEl(doc, 'tspan', { class: 'hl-alive' });
    span.textContent = alive;
    parts.push(span);
  }
  if (killed.length) {
    const span = svgEl(doc, 'tspan', { class: 'hl-killed' });
    span.textContent = `${alive !== null ? ' · ' : ''}killed: ${killed.join(', ')}`;
    parts.push(span);
  }
  status.replaceChildren(...parts);
}

/** Lit edges take the lit colour for their arrowhead too. */
export function setEdgeLit(markers: Markers, edge: SVGGElement, lit: boolean, head: Head, color: string): void {
  const path = edge.querySelector('path');
  if (path) {
    path.setAttribute('marker-end', markers.url(head, lit ? LIT_BORDER : color));
  }
}
