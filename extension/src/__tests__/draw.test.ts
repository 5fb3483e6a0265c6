/** The drawing in jsdom: structure, the DOM hooks the browser tests use, and labels kept as text. */
import { IDrawn, Markers, drawGraph, setCount, setGroupStatus, svgEl } from '../draw';
import { ILayout } from '../layout';
import { IVisibleGraph, indexGraph, summaryId, visibleGraph } from '../model';
import { small } from './helpers';

/** A layout by hand: every node and group at some box, every edge a straight line. */
function fakeLayout(vis: IVisibleGraph): ILayout {
  const nodes = new Map();
  const groups = new Map();
  vis.nodes.forEach((n, i) => nodes.set(n.id, { x: 10, y: 40 * i, w: 120, h: 26 }));
  vis.groups.forEach((g, i) => groups.set(g.id, { x: 0, y: 50 * i, w: 300, h: 200 }));
  const edges = vis.edges.map(() => ({ points: [[[0, 0], [0, 30]] as [number, number][]] }));
  return { width: 400, height: 600, nodes, groups, edges };
}

function draw(folded: string[] = []): { drawn: IDrawn; vis: IVisibleGraph; svg: SVGSVGElement } {
  const vis = visibleGraph(indexGraph(small().views.ir), new Set(folded));
  const svg = svgEl(document, 'svg');
  const defs = svgEl(document, 'defs');
  svg.appendChild(defs);
  const drawn = drawGraph(document, vis, fakeLayout(vis), {
    markers: new Markers(document, defs, 'hlT')
  });
  svg.appendChild(drawn.scene);
  document.body.replaceChildren(svg);
  return { drawn, vis, svg };
}

describe('drawGraph', () => {
  it('draws operators with their id and op, and counts only operators', () => {
    const { drawn, svg } = draw();
    const nodes = svg.querySelectorAll('g.hl-node[data-id]');
    expect(nodes.length).toBe(10);
    expect(drawn.operators).toBe(10);
    const n4 = svg.querySelector('g.hl-node[data-id="n4"]')!;
    expect(n4.getAttribute('data-op')).toBe('map');
    expect(n4.querySelector('text')!.textContent).toBe('map(lambda x: x * 2)');
    expect(n4.querySelector('rect')!.getAttribute('fill')).toBe('#dbe9f6');
  });

  it('draws groups with their kind and a fold toggle', () => {
    const { svg } = draw();
    const groups = [...svg.querySelectorAll('g.hl-group')];
    expect(groups.map(g => [g.getAttribute('data-id'), g.getAttribute('data-kind')])).toEqual([
      ['leader', 'process'],
      ['workers', 'cluster'],
      ['client', 'external'],
      ['wtick', 'tick'],
      ['watomic', 'atomic']
    ]);
    expect(groups.every(g => g.querySelector('.hl-fold-toggle'))).toBe(true);
    const workers = svg.querySelector('g.hl-group[data-id="workers"] .hl-group-label')!;
    expect(workers.textContent).toBe('cluster workers (3 members)');
  });

  it('draws a folded group as a summary node and merged edges with their count', () => {
    const { drawn, svg } = draw(['leader', 'workers']);
    const summary = svg.querySelector('g.hl-node.hl-summary[data-group="workers"]')!;
    expect(summary).not.toBeNull();
    expect(summary.hasAttribute('data-id')).toBe(false);
    expect([...summary.querySelectorAll('tspan')].map(t => t.textContent)).toEqual([
      'cluster workers (3 members)',
      '5 operators'
    ]);
    expect(drawn.operators).toBe(1); // n9 in the external
    expect(drawn.nodes.has(summaryId('workers'))).toBe(true);
    const merged = svg.querySelector('g.hl-edge[data-merged]')!;
    expect(merged.getAttribute('data-id')).toBe('e1');
    expect(merged.getAttribute('data-merged')).toBe('2');
  });

  it('styles edges by what flows: NoOrder, Unbounded, network, cycle', () => {
    const { svg } = draw();
    const edge = (id: string) => svg.querySelector(`g.hl-edge[data-id="${id}"]`)!;
    expect(edge('e3').classList.contains('hl-noorder')).toBe(true);
    expect(edge('e3').querySelector('path')!.getAttribute('stroke')).toBe('#d95f02');
    expect(edge('e2').classList.contains('hl-unbounded')).toBe(true);
    expect(edge('e1').querySelector('path')!.getAttribute('stroke-dasharray')).toBe('6 4');
    expect(edge('e8').classList.contains('hl-cycle')).toBe(true);
    // arrowheads are markers in this drawing's defs
    const marker = edge('e5').querySelector('path')!.getAttribute('marker-end')!;
    const id = marker.slice(5, -1);
    expect(svg.querySelector(`marker[id="${id}"] circle`)).not.toBeNull(); // Singleton: a dot
  });

  it('never interprets a label as HTML', () => {
    const { svg } = draw();
    const n10 = svg.querySelector('g.hl-node[data-id="n10"]')!;
    expect(n10.querySelector('text')!.textContent).toBe("<script>alert('x')</script><b>bold</b>");
    expect(n10.querySelector('title')!.textContent).toBe('<img src=x onerror=alert(1)>');
    expect(document.querySelector('script')).toBeNull();
    expect(document.querySelector('b')).toBeNull();
    expect(document.querySelector('img')).toBeNull();
  });
});

describe('live edits', () => {
  it('adds, changes and removes a count badge', () => {
    const { drawn } = draw();
    const g = drawn.nodes.get('n4')!;
    setCount(document, g, 120, '1.2k');
    expect(g.querySelector('.hl-count text')!.textContent).toBe('1.2k');
    setCount(document, g, 120, '3.4M');
    expect(g.querySelectorAll('.hl-count').length).toBe(1);
    expect(g.querySelector('.hl-count text')!.textContent).toBe('3.4M');
    setCount(document, g, 120, null);
    expect(g.querySelector('.hl-count')).toBeNull();
  });

  it("shows a cluster's alive members and its killed members apart", () => {
    const { drawn } = draw();
    const g = drawn.groups.get('workers')!;
    setGroupStatus(document, g, '2/3 alive', ['workers[1]']);
    expect(g.querySelector('.hl-group-status .hl-alive')!.textContent).toBe('2/3 alive');
    expect(g.querySelector('.hl-group-status .hl-killed')!.textContent).toBe(' · killed: workers[1]');
    setGroupStatus(document, g, '3/3 alive', []);
    expect(g.querySelector('.hl-killed')).toBeNull();
  });
});
