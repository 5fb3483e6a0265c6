/**
 * The visible graph as an ELK graph (groups are compound nodes, so ELK lays out the nested boxes
 * itself), and ELK's answer back as absolute boxes and edge paths. Pure: text is measured by a
 * function the caller passes (a canvas in the browser, a character estimate in tests), and ELK
 * runs elsewhere (the worker).
 */
import { IVisibleGraph, isSummary } from './model';

/** Labels longer than this are cut in the node; the details show the full label. */
export const MAX_LABEL_CHARS = 40;
/** At most this many label lines in a node. */
export const MAX_LABEL_LINES = 3;

export const FONT_FAMILY =
  "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace";
export const NODE_FONT_PX = 11;
export const GROUP_FONT_PX = 11;
export const EDGE_FONT_PX = 10;
export const LINE_HEIGHT = 14;
const NODE_PAD_X = 10;
const NODE_PAD_Y = 6;
const GROUP_HEADER = 26;
/** A header with a second line (a live cluster's members). */
export const GROUP_HEADER_TALL = 40;
const GROUP_PAD = 10;
/** The fold toggle's square, left of a group's title. */
export const TOGGLE_SIZE = 12;

/** Text width in px for a font size: the caller's measure. */
export type Measure = (text: string, fontPx: number) => number;

/** Monospace width estimate (0.6 em per character): tests, and before a canvas exists. */
export const estimateWidth: Measure = (text, fontPx) => text.length * fontPx * 0.6;

/** A label as drawn: lines cut to {@link MAX_LABEL_CHARS}, at most {@link MAX_LABEL_LINES}. */
export function labelLines(label: string): string[] {
  const lines = (label || '').split('\n');
  const shown = lines.slice(0, MAX_LABEL_LINES).map(truncate);
  if (lines.length > MAX_LABEL_LINES) {
    shown[MAX_LABEL_LINES - 1] = truncate(shown[MAX_LABEL_LINES - 1] + ' …');
  }
  return shown;
}

export function truncate(line: string): string {
  return line.length > MAX_LABEL_CHARS ? line.slice(0, MAX_LABEL_CHARS - 1) + '…' : line;
}

/** Where a label sits on an edge: merged edges say how many they stand for. */
export function edgeLabel(edge: { edges: { label?: string }[] }): string {
  if (edge.edges.length > 1) {
    return `×${edge.edges.length}`;
  }
  return truncate(edge.edges[0].label ?? '');
}

/** The subset of ELK's JSON graph this renderer uses. */
export interface IElkNode {
  id: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  children?: IElkNode[];
  edges?: IElkEdge[];
  layoutOptions?: { [key: string]: string };
}

export interface IElkEdge {
  id: string;
  sources: string[];
  targets: string[];
  labels?: { text: string; width: number; height: number; x?: number; y?: number }[];
  sections?: {
    startPoint: { x: number; y: number };
    endPoint: { x: number; y: number };
    bendPoints?: { x: number; y: number }[];
  }[];
  /** Set by ELK: the node the edge's coordinates are relative to. */
  container?: string;
  layoutOptions?: { [key: string]: string };
}

/**
 * ELK layered, downwards, one layout across the hierarchy, orthogonal edges, Brandes-Köpf node
 * placement. On the unfolded Paxos graph (248 operators) the options barely matter for time
 * (network simplex, linear segments, splines, thoroughness 1..7 all within ~10% in Node): what
 * costs is ELK's cold start in a fresh worker (~0.9 s, then ~0.4 s). So layouts are kept and a
 * folded graph is laid out unfolded ahead of time (view.ts); thoroughness drops on huge graphs.
 */
export function rootOptions(nodeCount: number): { [key: string]: string } {
  return {
    'elk.algorithm': 'layered',
    'elk.direction': 'DOWN',
    'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
    'elk.edgeRouting': 'ORTHOGONAL',
    'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    'elk.layered.thoroughness': nodeCount > 400 ? '2' : '7',
    'elk.layered.spacing.nodeNodeBetweenLayers': '26',
    'elk.spacing.nodeNode': '16',
    'elk.spacing.edgeNode': '10',
    'elk.spacing.edgeEdge': '6',
    'elk.spacing.edgeLabel': '2',
    'elk.spacing.componentComponent': '24',
    'elk.layered.spacing.edgeNodeBetweenLayers': '10',
    'elk.padding': '[top=8,left=8,bottom=8,right=8]'
  };
}

/** Node sizes for a label. */
export function nodeSize(label: string, measure: Measure, summary = false): [number, number] {
  const lines = labelLines(label);
  const font = NODE_FONT_PX;
  let w = 0;
  for (const line of lines) {
    w = Math.max(w, measure(line, font));
  }
  const padX = summary ? NODE_PAD_X + 6 : NODE_PAD_X;
  return [
    Math.ceil(Math.max(w + 2 * padX, 40)),
    lines.length * LINE_HEIGHT + 2 * NODE_PAD_Y + (summary ? 6 : 0)
  ];
}

/**
 * The ELK graph and the maps back from ELK's ids to ours: `n3` is the fourth visible node,
 * `g1` the second visible group, `e7` the eighth visible edge.
 */
export interface IElkRequest {
  graph: IElkNode;
  nodeIds: string[];
  groupIds: string[];
  edgeCount: number;
}

/** The ELK graph of a visible graph: boxes nest as groups do, each edge in its endpoints' lowest common box. */
export function toElk(
  vis: IVisibleGraph,
  measure: Measure,
  groupTitles: Map<string, string>,
  tallHeaders: ReadonlySet<string> = new Set()
): IElkRequest {
  const options = rootOptions(vis.nodes.length);
  if (vis.groups.length === 0 && vis.nodes.length > 6) {
    // Only top-level nodes (a large graph folded to its locations): a long chain of them wraps
    // into rows instead of one tall column that a fit shrinks to nothing.
    options['elk.layered.wrapping.strategy'] = 'MULTI_EDGE';
    options['elk.aspectRatio'] = '1.6';
  }
  const root: IElkNode = {
    id: 'root',
    layoutOptions: options,
    children: [],
    edges: []
  };
  const elkOf = new Map<string | null, IElkNode>([[null, root]]);
  const parentOfGroup = new Map<string, string | null>();
  const groupIds: string[] = [];
  for (const g of vis.groups) {
    parentOfGroup.set(g.id, g.parent);
    const title = groupTitles.get(g.id) ?? g.group.label;
    const minWidth = measure(title, GROUP_FONT_PX) + TOGGLE_SIZE + 3 * GROUP_PAD;
    const header = tallHeaders.has(g.id) ? GROUP_HEADER_TALL : GROUP_HEADER;
    const box: IElkNode = {
      id: `g${groupIds.length}`,
      children: [],
      edges: [],
      layoutOptions: {
        'elk.padding': `[top=${header},left=${GROUP_PAD},bottom=${GROUP_PAD},right=${GROUP_PAD}]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${Math.ceil(minWidth)},${header + 2 * GROUP_PAD})`
      }
    };
    groupIds.push(g.id);
    elkOf.set(g.id, box);
  }
  // Groups come parents first (visibleGraph walks down), so each parent box exists already.
  for (const g of vis.groups) {
    elkOf.get(g.parent)!.children!.push(elkOf.get(g.id)!);
  }
  const nodeIds: string[] = [];
  const elkNodeId = new Map<string, string>();
  const parentOfNode = new Map<string, string | null>();
  for (const n of vis.nodes) {
    let [width, height] = nodeSize(n.label, measure, isSummary(n.id));
    if (n.group && tallHeaders.has(n.group.id)) {
      // Room for the status line live updates write: "2/3 alive · killed: name[2]".
      const m = n.group.members ?? 3;
      const name = n.group.label.split(' ').pop();
      const status = `${m}/${m} alive · killed: ${name}[${Math.max(0, m - 1)}]`;
      width = Math.max(width, Math.ceil(measure(status, GROUP_FONT_PX)) + 16);
      height += LINE_HEIGHT;
    }
    const id = `n${nodeIds.length}`;
    nodeIds.push(n.id);
    elkNodeId.set(n.id, id);
    parentOfNode.set(n.id, n.parent);
    elkOf.get(n.parent)!.children!.push({ id, width, height });
  }
  const chain = (g: string | null): (string | null)[] => {
    const out: (string | null)[] = [];
    for (let at = g; at !== null; at = parentOfGroup.get(at) ?? null) {
      out.push(at);
    }
    out.push(null);
    return out;
  };
  let edgeCount = 0;
  for (const e of vis.edges) {
    const a = parentOfNode.get(e.src) ?? null;
    const b = parentOfNode.get(e.dst) ?? null;
    const above = new Set(chain(a));
    const container = chain(b).find(g => above.has(g)) ?? null;
    const text = edgeLabel(e);
    const edge: IElkEdge = {
      id: `e${edgeCount++}`,
      sources: [elkNodeId.get(e.src)!],
      targets: [elkNodeId.get(e.dst)!]
    };
    if (text) {
      edge.labels = [
        { text, width: Math.ceil(measure(text, EDGE_FONT_PX)) + 4, height: EDGE_FONT_PX + 4 }
      ];
    }
    elkOf.get(container)!.edges!.push(edge);
  }
  return { graph: root, nodeIds, groupIds, edgeCount };
}

export interface IBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface IEdgePath {
  /** Polylines, one per ELK section, absolute. */
  points: [number, number][][];
  label?: IBox & { text: string };
}

/** A laid-out visible graph, in absolute coordinates. */
export interface ILayout {
  width: number;
  height: number;
  nodes: Map<string, IBox>;
  groups: Map<string, IBox>;
  /** By position in the visible graph's edges (undefined: ELK gave no route). */
  edges: (IEdgePath | undefined)[];
}

/** ELK's answer as absolute boxes and paths, keyed by our ids. */
export function fromElk(request: IElkRequest, laid: IElkNode): ILayout {
  const nodes = new Map<string, IBox>();
  const groups = new Map<string, IBox>();
  const edges: (IEdgePath | undefined)[] = new Array(request.edgeCount);
  const offset = new Map<string, [number, number]>();
  const pending: [IElkEdge, [number, number]][] = [];
  const walk = (n: IElkNode, ox: number, oy: number) => {
    const x = ox + (n.x ?? 0);
    const y = oy + (n.y ?? 0);
    offset.set(n.id, [x, y]);
    const box = { x, y, w: n.width ?? 0, h: n.height ?? 0 };
    if (n.id[0] === 'g') {
      groups.set(request.groupIds[+n.id.slice(1)], box);
    } else if (n.id[0] === 'n') {
      nodes.set(request.nodeIds[+n.id.slice(1)], box);
    }
    for (const e of n.edges ?? []) {
      pending.push([e, [x, y]]);
    }
    for (const c of n.children ?? []) {
      walk(c, x, y);
    }
  };
  walk(laid, -(laid.x ?? 0), -(laid.y ?? 0));
  for (const [e, at] of pending) {
    const [ox, oy] = (e.container && offset.get(e.container)) || at;
    const points = (e.sections ?? []).map(s => {
      const line: [number, number][] = [[s.startPoint.x + ox, s.startPoint.y + oy]];
      for (const b of s.bendPoints ?? []) {
        line.push([b.x + ox, b.y + oy]);
      }
      line.push([s.endPoint.x + ox, s.endPoint.y + oy]);
      return line;
    });
    const path: IEdgePath = { points };
    const l = e.labels?.[0];
    if (l && l.x !== undefined && l.y !== undefined) {
      path.label = { x: l.x + ox, y: l.y + oy, w: l.width, h: l.height, text: l.text };
    }
    edges[+e.id.slice(1)] = path;
  }
  return { width: laid.width ?? 0, height: laid.height ?? 0, nodes, groups, edges };
}
