/**
 * Live values painted on the kernel's estimate_pi fixture, drawn as the view draws it (ELK in
 * process, jsdom): badges, rates, a replay step's lit nodes and edges, cluster membership.
 */
import { aliveText, paintOverlay, shownCounts } from '../overlay';
import { indexGraph, summaryId, visibleGraph } from '../model';
import { IGraph } from '../protocol';
import { drawFixture, kernelFixture } from './helpers';

const irGraph = (): IGraph => kernelFixture('estimate_pi.json').views.ir;

const node = (id: string) => document.querySelector(`.hl-node[data-id="${id}"]`)!;
const edge = (id: string) => document.querySelector(`.hl-edge[data-id="${id}"]`)!;
const badge = (id: string) => node(id).querySelector(':scope > .hl-count')?.textContent;
const rate = (id: string) => node(id).querySelector(':scope > .hl-rate')?.textContent;

describe('shownCounts and aliveText', () => {
  it('sums the counts of a folded group on its summary', () => {
    const index = indexGraph(irGraph());
    const vis = visibleGraph(index, new Set(['loc2']));
    const sums = shownCounts(vis, { n4: 400, n5: 600, n7: 5, n10: 3, gone: 9 });
    expect(sums).toEqual(new Map([[summaryId('loc2'), 1005], ['n10', 3]]));
  });

  it('says how many members are alive, from the status, else the payload', () => {
    expect(aliveText({ alive: 2, members: 3 }, 5)).toBe('2/3 alive');
    expect(aliveText({ alive: 2 }, 5)).toBe('2/5 alive');
    expect(aliveText({ alive: 2 }, null)).toBe('2/? alive');
    expect(aliveText({ killed: ['w[0]'] }, 5)).toBeNull();
    expect(aliveText(undefined, 5)).toBeNull();
  });
});

describe('paintOverlay', () => {
  it('puts counts as badges and rates on network nodes only', async () => {
    const d = await drawFixture(irGraph());
    paintOverlay(d, { counts: { n4: 1234, n10: 3_400_000 }, rates: { n10: 12_300, n5: 99 } }, {}, d.index);
    expect(badge('n4')).toBe('1.2k');
    expect(node('n4').getAttribute('data-count')).toBe('1234');
    expect(badge('n10')).toBe('3.4M');
    expect(badge('n5')).toBeUndefined();
    expect(node('n5').hasAttribute('data-count')).toBe(false);
    expect(rate('n10')).toBe('12.3k msg/s');
    expect(rate('n5')).toBeUndefined(); // a transform shows no rate
    expect(d.svg.classList.contains('hl-lit-mode')).toBe(false);
    // the next overlay replaces this one: values gone are removed
    paintOverlay(d, { counts: { n5: 7 } }, {}, d.index);
    expect(badge('n4')).toBeUndefined();
    expect(node('n4').hasAttribute('data-count')).toBe(false);
    expect(rate('n10')).toBeUndefined();
    expect(badge('n5')).toBe('7');
  });

  it('a folded cluster shows the sum of its operators', async () => {
    const d = await drawFixture(irGraph(), ['loc2']);
    paintOverlay(d, { counts: { n4: 400, n5: 600, n7: 5 } }, {}, d.index);
    const summary = document.querySelector('.hl-summary[data-group="loc2"]')!;
    expect(summary.querySelector('.hl-count')!.textContent).toBe('1k');
    expect(summary.getAttribute('data-count')).toBe('1005');
  });

  it('a replay step lights its nodes and the edges between them, fades the rest', async () => {
    const d = await drawFixture(irGraph());
    const path = (id: string) => edge(id).querySelector('path')!.getAttribute('marker-end');
    const before = path('e3');
    paintOverlay(d, { counts: { n7: 2, n8: 2 }, lit: true }, {}, d.index);
    expect(d.svg.classList.contains('hl-lit-mode')).toBe(true);
    expect(node('n7').classList.contains('hl-lit')).toBe(true);
    expect(node('n8').classList.contains('hl-lit')).toBe(true);
    expect(node('n4').classList.contains('hl-faded')).toBe(true);
    expect(edge('e3').classList.contains('hl-lit')).toBe(true);
    expect(edge('e2').classList.contains('hl-lit')).toBe(false);
    expect(edge('e2').classList.contains('hl-faded')).toBe(true);
    // a lit edge's arrowhead takes the lit colour, and gives it back
    expect(before).toBe('url(#hlF-normal-333333)');
    expect(path('e3')).toBe('url(#hlF-normal-e65100)');
    paintOverlay(d, { counts: {}, lit: true }, {}, d.index);
    expect(node('n7').classList.contains('hl-lit')).toBe(false);
    expect(node('n7').classList.contains('hl-faded')).toBe(true);
    expect(path('e3')).toBe(before);
    paintOverlay(d, undefined, {}, d.index);
    expect(d.svg.classList.contains('hl-lit-mode')).toBe(false);
    expect(document.querySelectorAll('.hl-lit, .hl-faded').length).toBe(0);
  });

  it("shows a cluster's members alive and killed on its box", async () => {
    const graph = irGraph();
    graph.groups.find(g => g.id === 'loc2')!.members = 4;
    const d = await drawFixture(graph, [], new Set(['loc2']));
    paintOverlay(d, undefined, { loc2: { alive: 3, killed: ['workers[1]'] } }, d.index);
    const box = document.querySelector('.hl-group[data-id="loc2"]')!;
    expect(box.querySelector('.hl-alive')!.textContent).toBe('3/4 alive'); // members from the payload
    expect(box.querySelector('.hl-killed')!.textContent).toBe(' · killed: workers[1]');
    expect(box.classList.contains('hl-has-killed')).toBe(true);
    paintOverlay(d, undefined, { loc2: { members: 4, alive: 4, killed: [] } }, d.index);
    expect(box.querySelector('.hl-alive')!.textContent).toBe('4/4 alive');
    expect(box.querySelector('.hl-killed')).toBeNull();
    expect(box.classList.contains('hl-has-killed')).toBe(false);
  });

  it("shows a folded cluster's members on its summary", async () => {
    const d = await drawFixture(irGraph(), ['loc2'], new Set(['loc2']));
    paintOverlay(d, undefined, { loc2: { members: 3, alive: 1, killed: ['workers[0]', 'workers[2]'] } }, d.index);
    const summary = document.querySelector('.hl-summary[data-group="loc2"]')!;
    expect(summary.querySelector('.hl-alive')!.textContent).toBe('1/3 alive');
    expect(summary.querySelector('.hl-killed')!.textContent).toBe(' · killed: workers[0], workers[2]');
    expect(summary.classList.contains('hl-has-killed')).toBe(true);
  });
});
