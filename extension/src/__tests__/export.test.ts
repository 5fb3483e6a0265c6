import { Markers, drawGraph, svgEl } from '../draw';
import { fileName, pngScale, svgText } from '../export';
import { indexGraph, visibleGraph } from '../model';
import { small } from './helpers';

describe('export', () => {
  it('writes a standalone SVG: styles inlined, untransformed, labels as escaped text', () => {
    const vis = visibleGraph(indexGraph(small().views.ir), new Set());
    const nodes = new Map(vis.nodes.map((n, i) => [n.id, { x: 0, y: i * 40, w: 200, h: 26 }]));
    const groups = new Map(vis.groups.map(g => [g.id, { x: 0, y: 0, w: 300, h: 500 }]));
    const layout = { width: 300, height: 500, nodes, groups, edges: vis.edges.map(() => ({ points: [[[0, 0], [0, 10]] as [number, number][]] })) };
    const defs = svgEl(document, 'defs');
    const drawn = drawGraph(document, vis, layout, { markers: new Markers(document, defs, 'hlE') });
    drawn.scene.setAttribute('transform', 'translate(5,5) scale(2)');
    const text = svgText(defs, drawn.scene, 300, 500);
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const svg = doc.documentElement;
    expect(svg.tagName).toBe('svg');
    expect(svg.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
    expect(svg.getAttribute('width')).toBe('324');
    expect(svg.querySelector('style')!.textContent).toContain('.hl-node.hl-lit');
    expect(svg.querySelectorAll('marker').length).toBeGreaterThan(0);
    expect(svg.querySelector('g.hl-content')!.hasAttribute('transform')).toBe(false);
    expect(svg.querySelector('g.hl-node[data-id="n10"] text')!.textContent).toBe("<script>alert('x')</script><b>bold</b>");
    expect(svg.querySelector('script')).toBeNull();
    // the page's drawing keeps its transform
    expect(drawn.scene.getAttribute('transform')).toBe('translate(5,5) scale(2)');
  });

  it('names files after the title', () => {
    expect(fileName('paxos-ir', 'svg')).toBe('paxos-ir.svg');
    expect(fileName('my "flow" <x>-ir', 'png')).toBe('my_flow_x_-ir.png');
    expect(fileName('', 'png')).toBe('graph.png');
  });

  it('draws PNGs at 2x unless the canvas would be too big', () => {
    expect(pngScale(800, 600)).toBe(2);
    expect(pngScale(12579, 7743)).toBeLessThan(2);
    expect((12579 + 24) * pngScale(12579, 7743)).toBeLessThanOrEqual(16000);
  });
});
