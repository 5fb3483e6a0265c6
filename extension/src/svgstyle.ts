/**
 * How the drawing looks: one table of colours (the same as `hydro_lab/viz/style.py`) read by the
 * SVG drawing, the legend and the exported SVG, and the CSS of the SVG itself, which is inlined
 * into every export so a downloaded file stands alone.
 */
import { GroupKind, IEdge, NodeType } from './protocol';
import { EDGE_FONT_PX, FONT_FAMILY, GROUP_FONT_PX, NODE_FONT_PX } from './layout';

export const NODE_FILL: { [type in NodeType]: string } = {
  source: '#d4edda',
  transform: '#dbe9f6',
  join: '#e6dcf5',
  aggregation: '#fde2c8',
  network: '#e2e3e5',
  sink: '#f8d7da',
  tee: '#fff3cd',
  nondet: '#f9d0ec',
  port: '#ffffff',
  pull: '#88aaff',
  push: '#ffff88',
  handoff: '#ddddff'
};

export const NODE_BORDER: { [type: string]: string } = {
  nondet: '#c2185b',
  network: '#555555'
};
export const DEFAULT_NODE_BORDER = '#8a94a6';

export const IR_LEGEND_TYPES: NodeType[] = [
  'source',
  'transform',
  'join',
  'aggregation',
  'network',
  'sink',
  'tee',
  'nondet',
  'port'
];
export const DFIR_LEGEND_TYPES: NodeType[] = ['pull', 'push', 'handoff'];

export interface IGroupLook {
  stroke: string;
  fill: string;
  dashed?: boolean;
}

export const GROUP_LOOK: { [kind in GroupKind]: IGroupLook } = {
  process: { stroke: '#2b6cb0', fill: '#f7fbff' },
  cluster: { stroke: '#2f855a', fill: '#f5fbf7' },
  external: { stroke: '#718096', fill: '#fafafa', dashed: true },
  tick: { stroke: '#b7791f', fill: '#fffdf5' },
  atomic: { stroke: '#9b2c2c', fill: '#fff8f8', dashed: true },
  stratum: { stroke: '#a0a0a0', fill: '#f6f6f6' },
  subgraph: { stroke: '#888888', fill: '#eeeeee' }
};
export const UNKNOWN_GROUP_LOOK: IGroupLook = { stroke: '#999999', fill: '#fafafa' };

export const ORDERED_COLOR = '#333333';
export const NO_ORDER_COLOR = '#d95f02';
export const CYCLE_COLOR = '#888888';
export const DELAY_COLOR = '#cc0000';
export const LIT_FILL = '#ffd54f';
export const LIT_BORDER = '#e65100';

/** Arrowheads say which kind of collection flows (as in the DOT legend); delays have their own. */
export type Head = 'normal' | 'double' | 'dot' | 'odot' | 'dotdot' | 'tee' | 'vee';

export interface IEdgeLook {
  color: string;
  width: number;
  dash: string | null;
  head: Head;
  classes: string[];
}

export function edgeLook(e: IEdge): IEdgeLook {
  const classes: string[] = [];
  let color = ORDERED_COLOR;
  if (e.order === 'NoOrder') {
    color = NO_ORDER_COLOR;
    classes.push('hl-noorder');
  }
  let width = 1.3;
  if (e.bound === 'Unbounded') {
    width = 2.2;
    classes.push('hl-unbounded');
  }
  let dash: string | null = null;
  if (e.network) {
    dash = '6 4';
    classes.push('hl-network');
  }
  let head: Head = 'normal';
  switch (e.kind) {
    case 'KeyedStream':
      head = 'double';
      break;
    case 'Singleton':
      head = 'dot';
      break;
    case 'Optional':
      head = 'odot';
      break;
    case 'KeyedSingleton':
      head = 'dotdot';
      break;
  }
  if (e.cycle) {
    color = CYCLE_COLOR;
    dash = '2 3';
    width = 1.3;
    classes.push('hl-cycle');
  }
  if (e.delay) {
    color = DELAY_COLOR;
    head = e.delay === 'tick' ? 'odot' : e.delay === 'stratum' ? 'tee' : 'vee';
    classes.push('hl-delay', `hl-delay-${e.delay}`);
  }
  return { color, width, dash, head, classes };
}

/** The CSS of the drawing (state classes; colours by type are attributes on the shapes). */
export const SVG_CSS = `
.hl-svg { font-family: ${FONT_FAMILY}; }
.hl-svg text { font-family: ${FONT_FAMILY}; fill: #1f2328; }
.hl-svg .hl-label { font-size: ${NODE_FONT_PX}px; }
.hl-svg .hl-summary .hl-label { font-weight: 600; }
.hl-svg .hl-group-label { font-size: ${GROUP_FONT_PX}px; font-weight: 600; }
.hl-svg .hl-group-status { font-size: ${GROUP_FONT_PX}px; fill: #2f855a; paint-order: stroke; stroke: #ffffff; stroke-width: 3px; stroke-linejoin: round; }
.hl-svg .hl-killed { fill: #c53030; font-weight: 600; }
.hl-svg .hl-edge-label { font-size: ${EDGE_FONT_PX}px; fill: #444; paint-order: stroke; stroke: #ffffff; stroke-width: 3px; stroke-linejoin: round; }
.hl-svg .hl-edge path { fill: none; }
.hl-svg .hl-node { cursor: pointer; }
.hl-svg .hl-fold-toggle { cursor: pointer; }
.hl-svg .hl-fold-toggle rect { fill: #ffffff; }
.hl-svg .hl-fold-toggle:hover rect { fill: #e8f0fe; }
.hl-svg .hl-node:hover .hl-node-box { stroke-width: 2px; }
.hl-svg .hl-selected .hl-node-box { stroke: #1a73e8; stroke-width: 3px; }
.hl-svg .hl-match .hl-node-box { stroke: #f9a825; stroke-width: 3px; }
.hl-svg .hl-current .hl-node-box { stroke: #e65100; stroke-width: 4px; }
.hl-svg .hl-count rect { fill: #1f2937; }
.hl-svg .hl-count text { fill: #ffffff; font-size: 10px; font-weight: 600; }
.hl-svg .hl-rate rect { fill: #1d4ed8; }
.hl-svg .hl-rate text { fill: #ffffff; font-size: 10px; font-weight: 600; }
.hl-svg.hl-lit-mode .hl-node.hl-faded { opacity: 0.3; }
.hl-svg.hl-lit-mode .hl-edge.hl-faded { opacity: 0.2; }
.hl-svg .hl-node.hl-lit .hl-node-box { fill: ${LIT_FILL}; stroke: ${LIT_BORDER}; stroke-width: 2.5px; }
.hl-svg .hl-edge.hl-lit path { stroke: ${LIT_BORDER}; }
`;
