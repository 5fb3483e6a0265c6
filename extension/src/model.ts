/**
 * The graph as the renderer sees it, with no DOM and no layout: a payload checked, one view
 * indexed (groups nested, operators counted), folds applied to get the visible graph (a folded
 * group is one summary node; edges leaving it merge), and search. Every function here is pure,
 * so the Jest tests hold the folding rules without a browser.
 */
import {
  IEdge,
  IGraph,
  IGroup,
  INode,
  SCHEMA_VERSIONS
} from './protocol';

/** A graph of this many operators or more opens folded to its top-level groups. */
export const AUTO_FOLD_OPERATORS = 150;

/** Why a payload cannot be drawn, as the user should read it; `null` when it can. */
export function checkPayload(data: unknown): string | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return 'this hydro_lab graph is malformed: the output is not a JSON object';
  }
  const p = data as { [key: string]: unknown };
  if (typeof p.version !== 'number' || !SCHEMA_VERSIONS.includes(p.version)) {
    const drawn = SCHEMA_VERSIONS.length === 1 ? 'version' : 'versions';
    return (
      `this hydro_lab graph has schema version ${JSON.stringify(p.version ?? null)}; ` +
      `this extension draws ${drawn} ${SCHEMA_VERSIONS.join(', ')}: ` +
      'update hydro_lab or the extension'
    );
  }
  const views = p.views as { [key: string]: unknown } | undefined;
  if (typeof views !== 'object' || views === null) {
    return 'this hydro_lab graph is malformed: it has no views';
  }
  for (const kind of ['ir', 'dfir']) {
    const view = views[kind];
    if (view === undefined || view === null) {
      if (kind === 'ir') {
        return 'this hydro_lab graph is malformed: views.ir is missing';
      }
      continue;
    }
    const problem = checkGraph(view);
    if (problem) {
      return `this hydro_lab graph is malformed: views.${kind} ${problem}`;
    }
  }
  return null;
}

function checkGraph(view: unknown): string | null {
  if (typeof view !== 'object' || view === null) {
    return 'is not an object';
  }
  const g = view as { [key: string]: unknown };
  for (const list of ['groups', 'nodes', 'edges']) {
    if (!Array.isArray(g[list])) {
      return `has no ${list} list`;
    }
  }
  for (const n of g.nodes as unknown[]) {
    const node = n as { [key: string]: unknown } | null;
    if (!node || typeof node.id !== 'string') {
      return 'has a node without an id';
    }
  }
  for (const e of g.edges as unknown[]) {
    const edge = e as { [key: string]: unknown } | null;
    if (!edge || typeof edge.src !== 'string' || typeof edge.dst !== 'string') {
      return 'has an edge without src and dst';
    }
  }
  for (const x of g.groups as unknown[]) {
    const group = x as { [key: string]: unknown } | null;
    if (!group || typeof group.id !== 'string') {
      return 'has a group without an id';
    }
  }
  return null;
}

/** One view, indexed: who contains whom, and how many operators each group holds. */
export interface IGraphIndex {
  graph: IGraph;
  groups: Map<string, IGroup>;
  nodes: Map<string, INode>;
  /** Child groups by parent (`null`: the top level), in payload order. */
  childGroups: Map<string | null, string[]>;
  /** Operators directly in each group (`null`: in no known group). */
  childNodes: Map<string | null, string[]>;
  /** The parent of each group, `null` at the top (unknown parents and cycles cut to `null`). */
  parentOf: Map<string, string | null>;
  /** Operators anywhere inside each group. */
  operatorCount: Map<string, number>;
  /** Edges that name two known operators (the others are dropped and counted). */
  edges: IEdge[];
  droppedEdges: number;
}

export function indexGraph(graph: IGraph): IGraphIndex {
  const groups = new Map<string, IGroup>();
  for (const g of graph.groups) {
    groups.set(g.id, g);
  }
  const parentOf = new Map<string, string | null>();
  for (const g of graph.groups) {
    parentOf.set(g.id, g.parent && groups.has(g.parent) ? g.parent : null);
  }
  // A parent chain that loops would hang every walk up: cut it where it closes.
  for (const g of graph.groups) {
    const seen = new Set<string>([g.id]);
    let at = parentOf.get(g.id) ?? null;
    while (at !== null) {
      if (seen.has(at)) {
        parentOf.set(g.id, null);
        break;
      }
      seen.add(at);
      at = parentOf.get(at) ?? null;
    }
  }
  const childGroups = new Map<string | null, string[]>();
  for (const g of graph.groups) {
    push(childGroups, parentOf.get(g.id) ?? null, g.id);
  }
  const nodes = new Map<string, INode>();
  const childNodes = new Map<string | null, string[]>();
  const operatorCount = new Map<string, number>();
  for (const n of graph.nodes) {
    nodes.set(n.id, n);
    const home = groups.has(n.group) ? n.group : null;
    push(childNodes, home, n.id);
    for (let at = home; at !== null; at = parentOf.get(at) ?? null) {
      operatorCount.set(at, (operatorCount.get(at) ?? 0) + 1);
    }
  }
  const edges = graph.edges.filter(e => nodes.has(e.src) && nodes.has(e.dst));
  return {
    graph,
    groups,
    nodes,
    childGroups,
    childNodes,
    parentOf,
    operatorCount,
    edges,
    droppedEdges: graph.edges.length - edges.length
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) {
    list.push(value);
  } else {
    map.set(key, [value]);
  }
}

/** The groups containing `group`, outermost first (not `group` itself). */
export function ancestors(index: IGraphIndex, group: string | null): string[] {
  const out: string[] = [];
  for (let at = group === null ? null : index.parentOf.get(group) ?? null; at !== null; ) {
    out.unshift(at);
    at = index.parentOf.get(at) ?? null;
  }
  return out;
}

/** The groups containing an operator, outermost first. */
export function nodeAncestors(index: IGraphIndex, nodeId: string): string[] {
  const node = index.nodes.get(nodeId);
  if (!node || !index.groups.has(node.group)) {
    return [];
  }
  return [...ancestors(index, node.group), node.group];
}

/** The top-level groups (locations): what "fold all" folds. */
export function topLevelGroups(index: IGraphIndex): string[] {
  return index.childGroups.get(null) ?? [];
}

/** The folds a view opens with: a large graph folds to its top-level groups. */
export function initialFolds(index: IGraphIndex): Set<string> {
  return index.nodes.size >= AUTO_FOLD_OPERATORS
    ? new Set(topLevelGroups(index))
    : new Set();
}

/** Folds restored from a saved state: only groups that still exist. */
export function keepExistingFolds(index: IGraphIndex, folded: Iterable<string>): Set<string> {
  return new Set([...folded].filter(g => index.groups.has(g)));
}

/** A box drawn around what it holds. */
export interface IVisibleGroup {
  id: string;
  group: IGroup;
  /** The visible group it sits in (`null`: the top). */
  parent: string | null;
  depth: number;
}

/** A drawn node: an operator, or a folded group's summary. */
export interface IVisibleNode {
  /** The operator's id; for a summary `SUMMARY_PREFIX + group id`. */
  id: string;
  parent: string | null;
  label: string;
  node?: INode;
  /** A summary: its group and how many operators it holds. */
  group?: IGroup;
  operators?: number;
}

/** A drawn edge: one payload edge, or several merged at a folded group's border. */
export interface IVisibleEdge {
  /** The id of the first payload edge it stands for. */
  id: string;
  src: string;
  dst: string;
  edges: IEdge[];
}

export interface IVisibleGraph {
  groups: IVisibleGroup[];
  nodes: IVisibleNode[];
  edges: IVisibleEdge[];
  /** Each operator's drawn node (itself, or the summary of its outermost folded group). */
  shownAs: Map<string, string>;
}

/** Summary node ids cannot collide with operator ids: ids never contain a NUL. */
export const SUMMARY_PREFIX = '\u0000group:';

export function summaryId(group: string): string {
  return SUMMARY_PREFIX + group;
}

export function isSummary(id: string): boolean {
  return id.startsWith(SUMMARY_PREFIX);
}

export function groupOfSummary(id: string): string {
  return id.slice(SUMMARY_PREFIX.length);
}

/** The label of a folded group: its own, and (second line) how many operators it holds. */
export function summaryLabel(group: IGroup, operators: number): string {
  return `${groupTitle(group)}\n${operators} operator${operators === 1 ? '' : 's'}`;
}

/** A group's label as drawn: a cluster with a known size says so. */
export function groupTitle(group: IGroup): string {
  if (group.kind === 'cluster' && typeof group.members === 'number') {
    return `${group.label} (${group.members} member${group.members === 1 ? '' : 's'})`;
  }
  return group.label;
}

/**
 * The graph as drawn under `folded`: a folded group (not itself inside a folded group) is one
 * summary node; what it holds is hidden; edges with an end inside it go to the summary, one edge
 * per distinct (src, dst) pair; edges wholly inside it vanish.
 */
export function visibleGraph(index: IGraphIndex, folded: ReadonlySet<string>): IVisibleGraph {
  const groups: IVisibleGroup[] = [];
  const nodes: IVisibleNode[] = [];
  const shownAs = new Map<string, string>();

  const walk = (parent: string | null, visibleParent: string | null, depth: number) => {
    for (const id of index.childGroups.get(parent) ?? []) {
      const group = index.groups.get(id)!;
      if (folded.has(id)) {
        const sid = summaryId(id);
        const operators = index.operatorCount.get(id) ?? 0;
        nodes.push({
          id: sid,
          parent: visibleParent,
          label: summaryLabel(group, operators),
          group,
          operators
        });
        markInside(index, id, sid, shownAs);
      } else {
        groups.push({ id, group, parent: visibleParent, depth });
        walk(id, id, depth + 1);
      }
    }
    for (const nid of index.childNodes.get(parent) ?? []) {
      const node = index.nodes.get(nid)!;
      nodes.push({ id: nid, parent: visibleParent, label: node.label, node });
      shownAs.set(nid, nid);
    }
  };
  walk(null, null, 0);

  const edges: IVisibleEdge[] = [];
  const merged = new Map<string, IVisibleEdge>();
  for (const e of index.edges) {
    const src = shownAs.get(e.src)!;
    const dst = shownAs.get(e.dst)!;
    const touchesSummary = isSummary(src) || isSummary(dst);
    if (!touchesSummary) {
      edges.push({ id: e.id, src, dst, edges: [e] });
      continue;
    }
    if (src === dst) {
      continue; // wholly inside one folded group
    }
    const key = `${src}\u0000${dst}`;
    const seen = merged.get(key);
    if (seen) {
      seen.edges.push(e);
    } else {
      const edge = { id: e.id, src, dst, edges: [e] };
      merged.set(key, edge);
      edges.push(edge);
    }
  }
  return { groups, nodes, edges, shownAs };
}

function markInside(
  index: IGraphIndex,
  group: string,
  summary: string,
  shownAs: Map<string, string>
): void {
  for (const nid of index.childNodes.get(group) ?? []) {
    shownAs.set(nid, summary);
  }
  for (const child of index.childGroups.get(group) ?? []) {
    markInside(index, child, summary, shownAs);
  }
}

/** Operators whose label, long label, op or id contains `query` (case-insensitive), in payload order. */
export function searchNodes(index: IGraphIndex, query: string): string[] {
  const q = query.trim().toLowerCase();
  if (!q) {
    return [];
  }
  const found: string[] = [];
  for (const n of index.graph.nodes) {
    const text = `${n.label}\n${n.long_label ?? ''}\n${n.op}\n${n.id}`.toLowerCase();
    if (text.includes(q)) {
      found.push(n.id);
    }
  }
  return found;
}

/** The folds that reveal an operator: every folded group containing it unfolded. */
export function revealNode(
  index: IGraphIndex,
  folded: ReadonlySet<string>,
  nodeId: string
): Set<string> {
  const out = new Set(folded);
  for (const g of nodeAncestors(index, nodeId)) {
    out.delete(g);
  }
  return out;
}

/** The subgraph group (DFIR) an operator belongs to: its nearest group with code. */
export function codeGroup(index: IGraphIndex, nodeId: string): IGroup | null {
  const chain = nodeAncestors(index, nodeId);
  for (let i = chain.length - 1; i >= 0; i--) {
    const g = index.groups.get(chain[i])!;
    if (g.kind === 'subgraph' || typeof g.code === 'string') {
      return g;
    }
  }
  return null;
}

/**
 * A cheap fingerprint of a view's structure (what a layout depends on): ids, nesting, labels.
 * Two payloads with equal signatures lay out the same, so a re-render keeps the drawing.
 */
export function graphSignature(graph: IGraph | null | undefined): string {
  if (!graph) {
    return '-';
  }
  let h = 0x811c9dc5;
  const add = (s: string | null | undefined) => {
    const t = s ?? '';
    for (let i = 0; i < t.length; i++) {
      h ^= t.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x1f;
    h = Math.imul(h, 0x01000193);
  };
  for (const g of graph.groups) {
    add(g.id);
    add(g.parent);
    add(g.kind);
    add(g.label);
    add(String(g.members ?? ''));
  }
  for (const n of graph.nodes) {
    add(n.id);
    add(n.group);
    add(n.label);
    add(n.type);
  }
  for (const e of graph.edges) {
    add(e.id);
    add(e.src);
    add(e.dst);
    add(e.label);
  }
  return `${graph.groups.length}/${graph.nodes.length}/${graph.edges.length}/${(h >>> 0).toString(16)}`;
}

/** A count as a badge shows it: 999, 1.2k, 12.3k, 123k, 3.4M. */
export function compactNumber(n: number): string {
  if (!isFinite(n)) {
    return String(n);
  }
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  if (a < 1000) {
    return sign + (Number.isInteger(a) ? String(a) : a < 99.95 ? a.toFixed(1).replace(/\.0$/, '') : a.toFixed(0));
  }
  const units: [number, string][] = [
    [1e3, 'k'],
    [1e6, 'M'],
    [1e9, 'G'],
    [1e12, 'T']
  ];
  for (const [size, unit] of units) {
    const v = a / size;
    if (v < 999.5 || unit === 'T') {
      return sign + (v < 99.95 ? v.toFixed(1).replace(/\.0$/, '') : v.toFixed(0)) + unit;
    }
  }
  return sign + String(a);
}

/** A rate as drawn on a network node: "12.3k msg/s". */
export function rateText(perSecond: number): string {
  return `${compactNumber(perSecond)} msg/s`;
}

/** What an edge carries, as one line: `Stream<Unbounded, NoOrder, ExactlyOnce>`. */
export function describeEdge(e: IEdge): string {
  if (!e.kind) {
    return e.label ?? '';
  }
  const parts = [e.bound, e.order, e.retries].filter(x => !!x);
  if (e.kind === 'Singleton' || e.kind === 'Optional' || e.kind === 'KeyedSingleton') {
    return e.bound ? `${e.kind}<${e.bound}>` : e.kind;
  }
  return parts.length ? `${e.kind}<${parts.join(', ')}>` : e.kind;
}
