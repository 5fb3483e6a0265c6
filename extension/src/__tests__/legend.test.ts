/** The legend of the kernel's fixtures: only the node types and edge kinds each view has. */
import { LEGEND_HINT, fillLegend, legendLines, legendTypes } from '../legend';
import { kernelFixture } from './helpers';

const pi = kernelFixture('estimate_pi.json');
const twoPc = kernelFixture('two_pc.json');
const echo = kernelFixture('echo.json');
const texts = (lines: { text: string }[]) => lines.map(l => l.text);

describe('legend', () => {
  it('names the node types a view has, in the legend order', () => {
    expect(legendTypes('ir', pi.views.ir)).toEqual(['source', 'transform', 'aggregation', 'network', 'sink', 'nondet']);
    expect(legendTypes('ir', echo.views.ir)).toEqual(['source', 'transform', 'network', 'port']);
    expect(legendTypes('dfir', pi.views.dfir!)).toEqual(['pull', 'push', 'handoff']);
    expect(legendTypes('dfir', echo.views.dfir!)).toEqual(['pull', 'push']);
  });

  it('draws a line for each kind of IR edge present', () => {
    expect(texts(legendLines('ir', pi.views.ir))).toEqual(['ordered', 'NoOrder', 'Unbounded (thick)', 'network']);
    expect(texts(legendLines('ir', twoPc.views.ir))).toEqual(['ordered', 'NoOrder', 'Unbounded (thick)', 'network', 'cycle']);
    expect(legendLines('ir', pi.views.ir)[3]).toEqual({ color: '#333333', dash: '6 4', text: 'network', width: 1.3 });
  });

  it('DFIR: a line for delayed edges, when there are any', () => {
    expect(legendLines('dfir', pi.views.dfir!)).toEqual([
      { color: '#cc0000', dash: '', text: 'delayed (tick / stratum / reference)', width: 1.3 }
    ]);
    expect(legendLines('dfir', echo.views.dfir!)).toEqual([]);
  });

  it('fills the legend: swatches, lines, then how to move around', () => {
    const el = document.createElement('div');
    fillLegend(el, 'ir', echo.views.ir);
    const items = [...el.children];
    expect(items.map(i => i.textContent)).toEqual(['source', 'transform', 'network', 'port', 'ordered', 'Unbounded (thick)', 'network', LEGEND_HINT]);
    expect(items[0].querySelector('.hl-swatch')).not.toBeNull();
    const network = items[6].querySelector('svg.hl-legend-line line')!;
    expect(network.getAttribute('stroke-dasharray')).toBe('6 4');
    expect(items[4].querySelector('line')!.hasAttribute('stroke-dasharray')).toBe(false);
    expect(items[7].className).toBe('hl-legend-hint');
    // filled again for another view: replaced, not added to
    fillLegend(el, 'dfir', echo.views.dfir!);
    expect([...el.children].map(i => i.textContent)).toEqual(['pull', 'push', LEGEND_HINT]);
  });
});
