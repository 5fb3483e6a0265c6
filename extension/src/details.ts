/**
 * The details of the selected operator: what the payload says about it (label, operator, the
 * collection it produces, its source line, nondet reason, codec, channel), its live count and
 * rate, its edges and where it sits; in the DFIR view also the IR operator it was lowered from
 * and its subgraph's generated Python. Fields it lacks are left out; every value goes in as text.
 */
import { IGraphIndex, codeGroup, describeEdge, nodeAncestors, rateText } from './model';
import { INode, IOverlay, ViewKind } from './protocol';
import { NODE_BORDER, NODE_FILL } from './svgstyle';

/** One line of the details panel. */
export interface IDetailField {
  /** The `data-field` of the value (browser tests and users read the value as is). */
  name: string;
  title: string;
  value: string;
  /** Shown as preformatted text (code, edge lists). */
  pre?: boolean;
  /** The source field: the text of the line, shown under where it is. */
  codeLine?: string;
  /** The DFIR view's "lowered from" field: the IR operator a "show in IR" link goes to. */
  irNode?: string;
}

/** What the details of an operator are read from, besides the operator. */
export interface IDetailsContext {
  kind: ViewKind;
  /** The index of the view the operator is in. */
  index: IGraphIndex;
  /** That view's live values, if any. */
  overlay?: IOverlay;
  /** The payload is a replay's: counts are per step. */
  replay: boolean;
  /** The IR view's index, to name the IR operator a DFIR one was lowered from. */
  irIndex?: IGraphIndex;
}

/** Edges listed in full; more are summed up in one line. */
const MAX_EDGES_LISTED = 12;

/** The fields shown for `node`, in order; empty ones left out. */
export function detailFields(node: INode, ctx: IDetailsContext): IDetailField[] {
  const fields: IDetailField[] = [];
  const field = (
    name: string,
    title: string,
    value: string | null | undefined,
    more: Partial<IDetailField> = {}
  ) => {
    if (value !== null && value !== undefined && value !== '') {
      fields.push({ name, title, value, ...more });
    }
  };
  field('label', 'label', node.long_label || node.label);
  field('op', 'operator', node.op);
  field('kind', 'produces', node.kind);
  // The line itself belongs to the source field: "where" and "what".
  field('source', 'source', node.source, node.code_line ? { codeLine: node.code_line } : {});
  field('nondet', 'nondet', node.nondet);
  field('codec', 'codec', node.codec);
  field('channel', 'channel', node.channel);
  const overlay = ctx.overlay;
  const count = overlay?.counts?.[node.id];
  if (count !== undefined) {
    field('count', ctx.replay || overlay?.lit ? 'elements in this step' : 'elements so far', count.toLocaleString());
  }
  const rate = overlay?.rates?.[node.id];
  if (rate !== undefined) {
    field('rate', 'rate', rateText(rate));
  }
  const index = ctx.index;
  if (ctx.kind === 'dfir') {
    if (node.ir) {
      const ir = ctx.irIndex?.nodes.get(node.ir);
      field('ir', 'lowered from', ir ? `${ir.id} · ${ir.long_label || ir.label}` : node.ir, ir ? { irNode: ir.id } : {});
    }
    const sg = codeGroup(index, node.id);
    if (sg?.code) {
      field('code', `generated Python (${sg.label})`, sg.code, { pre: true });
    }
  }
  const edgeList = (name: string, incoming: boolean) => {
    const list = index.edges.filter(e => (incoming ? e.dst : e.src) === node.id);
    if (!list.length) {
      return;
    }
    const lines = list.slice(0, MAX_EDGES_LISTED).map(e => {
      const other = index.nodes.get(incoming ? e.src : e.dst);
      const what = describeEdge(e);
      const flags = [e.network ? 'network' : '', e.cycle ? 'cycle' : '', e.delay ? `delay: ${e.delay}` : '']
        .filter(x => !!x)
        .join(', ');
      return `${incoming ? '←' : '→'} ${other?.label.split('\n')[0] ?? '?'}${what ? `  ${what}` : ''}${flags ? `  (${flags})` : ''}`;
    });
    if (list.length > MAX_EDGES_LISTED) {
      lines.push(`… and ${list.length - MAX_EDGES_LISTED} more`);
    }
    field(name, name, lines.join('\n'), { pre: true });
  };
  edgeList('inputs', true);
  edgeList('outputs', false);
  const where = nodeAncestors(index, node.id).map(g => index.groups.get(g)!.label);
  field('where', 'in', where.join(' › '));
  return fields;
}

export interface IDetailsHandlers {
  close(): void;
  /** The "show in IR" link of a DFIR operator. */
  showInIr(id: string): void;
}

/** Fills `panel` with the details of `node`, or empties and hides it when there is none. */
export function fillDetails(
  panel: HTMLElement,
  node: INode | undefined,
  ctx: IDetailsContext,
  on: IDetailsHandlers
): void {
  if (!node) {
    panel.hidden = true;
    panel.replaceChildren();
    return;
  }
  const d = panel.ownerDocument;
  const make = <K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string) => {
    const e = d.createElement(tag);
    e.className = cls;
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  };
  const head = make('div', 'hl-details-head');
  const swatch = make('span', `hl-details-type hl-type-${node.type}`, node.type);
  swatch.style.background = NODE_FILL[node.type] ?? '#fff';
  swatch.style.borderColor = NODE_BORDER[node.type] ?? '#8a94a6';
  head.appendChild(swatch);
  head.appendChild(make('span', 'hl-details-id', node.id));
  const close = make('button', 'hl-details-close', '×');
  close.title = 'close';
  close.type = 'button';
  close.addEventListener('click', () => on.close());
  head.appendChild(close);
  const rows: HTMLElement[] = [head];
  for (const f of detailFields(node, ctx)) {
    const row = make('div', 'hl-field');
    row.appendChild(make('div', 'hl-field-name', f.title));
    // The data-field element holds the value alone (tests and users read it as is).
    const value = make(f.pre ? 'pre' : 'div', 'hl-field-value', f.value);
    value.setAttribute('data-field', f.name);
    if (f.codeLine !== undefined) {
      value.appendChild(d.createTextNode('\n'));
      value.appendChild(make('pre', 'hl-code-line', f.codeLine));
    }
    row.appendChild(value);
    const irNode = f.irNode;
    if (irNode !== undefined) {
      const go = make('button', 'hl-link', 'show in IR');
      go.type = 'button';
      go.addEventListener('click', () => on.showInIr(irNode));
      row.appendChild(go);
    }
    rows.push(row);
  }
  panel.replaceChildren(...rows);
  panel.hidden = false;
}
