/**
 * The kernel's payload fixtures (`tests/fixtures/mime/`, written by the Python side): every one
 * is either drawable, with a consistent model and an ELK graph, or refused with a message.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import { IElkNode, estimateWidth, fromElk, toElk } from '../layout';
import {
  checkPayload,
  groupTitle,
  indexGraph,
  initialFolds,
  isSummary,
  visibleGraph
} from '../model';
import { IPayload, SCHEMA_VERSIONS } from '../protocol';
import { Markers, drawGraph, svgEl } from '../draw';
import { kernelFixtures } from './helpers';

const fixtures = kernelFixtures();
const drawable = fixtures.filter(([, p]) => SCHEMA_VERSIONS.includes((p as IPayload).version));
const refused = fixtures.filter(([, p]) => !SCHEMA_VERSIONS.includes((p as IPayload).version));

const named = (name: string) => fixtures.find(([f]) => f === name)?.[1] as IPayload | undefined;

describe('kernel fixtures', () => {
  it('exist', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  it.each(refused)('%s is refused with the versions this renderer draws', (_name, payload) => {
    const version = (payload as IPayload).version;
    expect(checkPayload(payload)).toBe(
      `this hydro_lab graph has schema version ${version}; this extension draws version 2: ` +
        'update hydro_lab or the extension'
    );
  });

  it.each(drawable)('%s: every view indexes, folds and lays out', async (_name, payload) => {
    expect(checkPayload(payload)).toBeNull();
    const p = payload as IPayload;
    for (const graph of [p.views.ir, p.views.dfir]) {
      if (!graph) {
        continue;
      }
      const index = indexGraph(graph);
      expect(index.droppedEdges).toBe(0);
      // every node's group exists; every operator is drawn once, unfolded
      for (const n of graph.nodes) {
        expect(index.groups.has(n.group)).toBe(true);
      }
      const all = visibleGraph(index, new Set());
      expect(all.nodes.length).toBe(graph.nodes.length);
      expect(all.edges.length).toBe(graph.edges.length);
      // folded as it opens: summaries hold every operator between them
      const folded = visibleGraph(index, initialFolds(index));
      const held = folded.nodes.reduce((s, n) => s + (isSummary(n.id) ? n.operators! : 1), 0);
      expect(held).toBe(graph.nodes.length);
      // ELK lays the opening view out with every node inside its box
      const titles = new Map(folded.groups.map(g => [g.id, groupTitle(g.group)]));
      const req = toElk(folded, estimateWidth, titles);
      const layout = fromElk(req, (await new ELK().layout(req.graph as never)) as unknown as IElkNode);
      expect(layout.nodes.size).toBe(folded.nodes.length);
      for (const n of folded.nodes) {
        if (n.parent) {
          const a = layout.nodes.get(n.id)!;
          const b = layout.groups.get(n.parent)!;
          expect(a.x >= b.x && a.y >= b.y && a.x + a.w <= b.x + b.w + 0.01 && a.y + a.h <= b.y + b.h + 0.01).toBe(true);
        }
      }
    }
  });

  const paxos = named('paxos.json');
  (paxos ? it : it.skip)('paxos opens folded to its locations (256 operators)', () => {
    const index = indexGraph(paxos!.views.ir);
    expect(index.nodes.size).toBeGreaterThanOrEqual(150);
    const vis = visibleGraph(index, initialFolds(index));
    expect(vis.nodes.every(n => isSummary(n.id))).toBe(true);
    expect(vis.groups).toEqual([]);
  });

  const nasty = named('nasty.json');
  (nasty ? it : it.skip)('nasty labels are drawn as the text they are', () => {
    const vis = visibleGraph(indexGraph(nasty!.views.ir), new Set());
    const nodes = new Map(vis.nodes.map((n, i) => [n.id, { x: 0, y: i * 40, w: 300, h: 26 }]));
    const groups = new Map(vis.groups.map(g => [g.id, { x: 0, y: 0, w: 400, h: 400 }]));
    const layout = { width: 400, height: 400, nodes, groups, edges: vis.edges.map(() => undefined) };
    const svg = svgEl(document, 'svg');
    const defs = svgEl(document, 'defs');
    const drawn = drawGraph(document, vis, layout, { markers: new Markers(document, defs, 'hlN') });
    svg.appendChild(drawn.scene);
    document.body.replaceChildren(svg);
    const texts = [...svg.querySelectorAll('g.hl-node text')].map(t => t.textContent).join('\n');
    const labels = nasty!.views.ir.nodes.map(n => n.label.split('\n')[0].slice(0, 20));
    for (const l of labels) {
      expect(texts).toContain(l);
    }
    expect(document.body.querySelector('script, b, img, x, html')).toBeNull();
  });
});
