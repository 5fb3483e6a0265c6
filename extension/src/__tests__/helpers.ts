/**
 * Payloads for the tests: the hand-written fixture, generated graphs, and the kernel's fixtures;
 * and a graph drawn as the view draws it.
 */
import * as fs from 'fs';
import * as path from 'path';
import ELK from 'elkjs/lib/elk.bundled.js';
import { Markers, drawGraph, svgEl } from '../draw';
import { IElkNode, estimateWidth, fromElk, toElk } from '../layout';
import { IGraphIndex, groupTitle, indexGraph, visibleGraph } from '../model';
import { IDrawing } from '../overlay';
import { IGraph, IPayload } from '../protocol';

export function small(): IPayload {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'small.json'), 'utf-8'));
}

/** `n` operators in a chain over `locations` processes (each with a tick holding every third operator). */
export function chain(n: number, locations = 3): IGraph {
  const groups = [];
  for (let l = 0; l < locations; l++) {
    groups.push({ id: `L${l}`, label: `process p${l}`, kind: 'process' as const, parent: null });
    groups.push({ id: `L${l}t`, label: `tick t${l}`, kind: 'tick' as const, parent: `L${l}` });
  }
  const nodes = [];
  const edges = [];
  for (let i = 0; i < n; i++) {
    const l = Math.floor((i * locations) / n);
    nodes.push({
      id: `n${i}`,
      label: `map(f${i})`,
      long_label: `map(f${i})`,
      op: 'map',
      type: 'transform' as const,
      group: i % 3 === 0 ? `L${l}t` : `L${l}`
    });
    if (i > 0) {
      edges.push({ id: `e${i}`, src: `n${i - 1}`, dst: `n${i}` });
    }
  }
  return { kind: 'ir', groups, nodes, edges };
}

/** The kernel's payload fixtures (`tests/fixtures/mime/*.json`), by file name, once they exist. */
export function kernelFixtures(): [string, unknown][] {
  const dir = path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'mime');
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs
    .readdirSync(dir)
    .filter(f => f.endsWith('.json'))
    .sort()
    .map(f => [f, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf-8'))]);
}

/** One of the kernel's payload fixtures, by file name. */
export function kernelFixture(name: string): IPayload {
  const found = kernelFixtures().find(([f]) => f === name);
  if (!found) {
    throw new Error(`no kernel fixture ${name}`);
  }
  return found[1] as IPayload;
}

/** A graph drawn as the view draws it (ELK in-process), in an `<svg>` in the document. */
export interface IDrawnFixture extends IDrawing {
  index: IGraphIndex;
}

export async function drawFixture(graph: IGraph, folded: string[] = [], tall = new Set<string>()): Promise<IDrawnFixture> {
  const index = indexGraph(graph);
  const vis = visibleGraph(index, new Set(folded));
  const titles = new Map(vis.groups.map(g => [g.id, groupTitle(g.group)]));
  const request = toElk(vis, estimateWidth, titles, tall);
  const layout = fromElk(request, (await new ELK().layout(request.graph as never)) as unknown as IElkNode);
  const svg = svgEl(document, 'svg');
  const defs = svgEl(document, 'defs');
  svg.appendChild(defs);
  const markers = new Markers(document, defs, 'hlF');
  const drawn = drawGraph(document, vis, layout, { markers, tallHeaders: tall });
  svg.appendChild(drawn.scene);
  document.body.replaceChildren(svg);
  return { drawn, vis, layout, markers, svg, index };
}
