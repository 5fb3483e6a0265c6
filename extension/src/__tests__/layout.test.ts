import ELK from 'elkjs/lib/elk.bundled.js';
import {
  IElkNode,
  MAX_LABEL_CHARS,
  estimateWidth,
  fromElk,
  labelLines,
  nodeSize,
  toElk
} from '../layout';
import { groupTitle, indexGraph, summaryId, visibleGraph } from '../model';
import { chain, small } from './helpers';

function request(folded: string[] = []) {
  const index = indexGraph(small().views.ir);
  const vis = visibleGraph(index, new Set(folded));
  const titles = new Map(vis.groups.map(g => [g.id, groupTitle(g.group)]));
  return { vis, req: toElk(vis, estimateWidth, titles) };
}

/** ELK node ids → our ids, by walking the ELK graph. */
function tree(req: ReturnType<typeof toElk>, n: IElkNode = req.graph): unknown {
  const name = (id: string) =>
    id === 'root' ? 'root' : id[0] === 'g' ? req.groupIds[+id.slice(1)] : req.nodeIds[+id.slice(1)];
  if (!n.children || n.children.length === 0) {
    return name(n.id);
  }
  return { [name(n.id)]: n.children.map(c => tree(req, c)) };
}

describe('toElk', () => {
  it('nests compound nodes as the groups nest', () => {
    const { req } = request();
    expect(tree(req)).toEqual({
      root: [
        { leader: ['n1', 'n7', 'n8', 'n10'] },
        { workers: [{ wtick: [{ watomic: ['n4', 'n5'] }, 'n3'] }, 'n2', 'n6'] },
        { client: ['n9'] }
      ]
    });
    expect(req.graph.layoutOptions!['elk.hierarchyHandling']).toBe('INCLUDE_CHILDREN');
    expect(req.graph.layoutOptions!['elk.direction']).toBe('DOWN');
  });

  it("puts each edge in its endpoints' lowest common group", () => {
    const { req } = request();
    const where = new Map<string, string>();
    const walk = (n: IElkNode, name: string) => {
      for (const e of n.edges ?? []) {
        where.set(`${req.nodeIds[+e.sources[0].slice(1)]}->${req.nodeIds[+e.targets[0].slice(1)]}`, name);
      }
      for (const c of n.children ?? []) {
        if (c.id[0] === 'g') {
          walk(c, req.groupIds[+c.id.slice(1)]);
        }
      }
    };
    walk(req.graph, 'root');
    expect(where.get('n4->n5')).toBe('watomic');
    expect(where.get('n3->n4')).toBe('wtick');
    expect(where.get('n2->n3')).toBe('workers');
    expect(where.get('n1->n2')).toBe('root');
    expect(where.get('n7->n8')).toBe('leader');
  });

  it('makes a summary node where a group is folded, with merged edges labelled by count', () => {
    const { vis, req } = request(['leader', 'workers']);
    expect(tree(req)).toEqual({
      root: [{ client: ['n9'] }, summaryId('leader'), summaryId('workers')]
    });
    const merged = req.graph.edges!.find(e => e.labels?.[0].text === '×2');
    expect(merged).toBeDefined();
    expect(vis.edges[+merged!.id.slice(1)].edges.map(e => e.id)).toEqual(['e1', 'e11']);
  });

  it('wraps a long row of top-level nodes (a big graph folded), and nothing with boxes', () => {
    const index = indexGraph(chain(2000, 20));
    const folded = visibleGraph(index, new Set(index.childGroups.get(null)));
    expect(toElk(folded, estimateWidth, new Map()).graph.layoutOptions!['elk.layered.wrapping.strategy']).toBe('MULTI_EDGE');
    const { req } = request();
    expect(req.graph.layoutOptions!['elk.layered.wrapping.strategy']).toBeUndefined();
  });

  it('sizes nodes from their label, cut at the maximum length', () => {
    const [w1, h1] = nodeSize('map(f)', estimateWidth);
    const [w2] = nodeSize('map(lambda x: x + 1)', estimateWidth);
    const [w3] = nodeSize('x'.repeat(200), estimateWidth);
    const [w4] = nodeSize('x'.repeat(MAX_LABEL_CHARS), estimateWidth);
    const [, h2] = nodeSize('two\nlines', estimateWidth);
    expect(w2).toBeGreaterThan(w1);
    expect(w3).toBe(w4);
    expect(h2).toBeGreaterThan(h1);
    const long = labelLines('y'.repeat(100))[0];
    expect(long.length).toBe(MAX_LABEL_CHARS);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('fromElk (with ELK itself)', () => {
  const inside = (a: { x: number; y: number; w: number; h: number }, b: typeof a) =>
    a.x >= b.x - 0.01 && a.y >= b.y - 0.01 && a.x + a.w <= b.x + b.w + 0.01 && a.y + a.h <= b.y + b.h + 0.01;

  it('places every operator inside its group box and every group inside its parent', async () => {
    const { vis, req } = request();
    const laid = await new ELK().layout(JSON.parse(JSON.stringify(req.graph)));
    const layout = fromElk(req, laid as IElkNode);
    expect(layout.nodes.size).toBe(10);
    expect(layout.groups.size).toBe(5);
    for (const n of vis.nodes) {
      if (n.parent) {
        expect(inside(layout.nodes.get(n.id)!, layout.groups.get(n.parent)!)).toBe(true);
      }
    }
    for (const g of vis.groups) {
      if (g.parent) {
        expect(inside(layout.groups.get(g.id)!, layout.groups.get(g.parent)!)).toBe(true);
      }
    }
    // Edges run from their source box to their target box, in absolute coordinates.
    vis.edges.forEach((e, i) => {
      const path = layout.edges[i]!;
      expect(path.points.length).toBeGreaterThan(0);
      if (e.edges[0].cycle) {
        return; // a back edge may leave from any side
      }
      const src = layout.nodes.get(e.src)!;
      const dst = layout.nodes.get(e.dst)!;
      const [x0, y0] = path.points[0][0];
      const last = path.points[path.points.length - 1];
      const [x1, y1] = last[last.length - 1];
      expect(x0).toBeGreaterThanOrEqual(src.x - 0.5);
      expect(x0).toBeLessThanOrEqual(src.x + src.w + 0.5);
      expect(Math.abs(y0 - (src.y + src.h))).toBeLessThan(0.5);
      expect(x1).toBeGreaterThanOrEqual(dst.x - 0.5);
      expect(x1).toBeLessThanOrEqual(dst.x + dst.w + 0.5);
      expect(Math.abs(y1 - dst.y)).toBeLessThan(0.5);
    });
  });
});
