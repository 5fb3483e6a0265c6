/**
 * The whole view in jsdom, with ELK run in-process instead of the worker: folding by clicks,
 * live updates as edits, the replay overlay, state kept in place and across renderers.
 */
import { IPayload, IUpdate } from '../protocol';
import { viewStates } from '../state';
import { estimateWidth } from '../layout';
import { GraphView } from '../view';
import { ILiveSource, UpdateListener } from '../live';
import { chain, small } from './helpers';

jest.mock('../elk', () => {
  const ELK = require('elkjs/lib/elk.bundled.js');
  return {
    layoutGraph: jest.fn(async (graph: unknown) => ({ graph: await new ELK().layout(graph), ms: 1 }))
  };
});
// eslint-disable-next-line @typescript-eslint/no-var-requires
const layoutGraph: jest.Mock = require('../elk').layoutGraph;

async function waitFor(cond: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) {
      return;
    }
    await new Promise(r => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A live source the test drives. */
class FakeLive implements ILiveSource {
  listeners = new Map<string, UpdateListener>();
  subscribe(id: string, listener: UpdateListener): () => void {
    this.listeners.set(id, listener);
    return () => this.listeners.delete(id);
  }
  send(u: IUpdate): void {
    this.listeners.get(u.id)?.(u);
  }
}

function click(el: Element | null): void {
  expect(el).not.toBeNull();
  el!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
}

async function open(payload: IPayload, live: ILiveSource | null = null): Promise<GraphView> {
  const view = new GraphView({ live, measure: estimateWidth });
  document.body.appendChild(view.node);
  await view.render(payload);
  return view;
}

const drawn = (view: GraphView) => view.node.getAttribute('data-drawn');

beforeEach(() => {
  document.body.replaceChildren();
  viewStates.clear();
  layoutGraph.mockClear();
});

describe('GraphView', () => {
  it('draws a payload and sets the DOM hooks', async () => {
    const view = await open(small());
    const node = view.node;
    expect(node.classList.contains('hl-graph')).toBe(true);
    expect(node.getAttribute('data-mime-type')).toBe('application/vnd.hydro-lab.graph+json');
    expect(node.getAttribute('data-view')).toBe('ir');
    expect(drawn(view)).toBe('10');
    expect(node.getAttribute('data-layout-ms')).toBe('1');
    const fresh = new GraphView({ measure: estimateWidth });
    expect(fresh.node.hasAttribute('data-drawn')).toBe(false); // absent until drawn
    expect(node.getAttribute('data-draw-ms')).not.toBeNull();
    const actions = [...node.querySelectorAll('.hl-toolbar [data-action]')].map(b => b.getAttribute('data-action'));
    expect(actions).toEqual([
      'view-ir',
      'view-dfir',
      'zoom-out',
      'zoom-in',
      'fit',
      'fold-all',
      'unfold-all',
      'export-svg',
      'export-png'
    ]);
    expect(node.querySelector('.hl-toolbar .hl-title')!.textContent).toBe('small <b>flow</b>');
    expect(node.querySelector('b')).toBeNull();
    expect(node.querySelector('.hl-status')!.hasAttribute('hidden')).toBe(true);
  });

  it('folds a group from its toggle and unfolds it from its summary', async () => {
    const view = await open(small());
    click(view.node.querySelector('.hl-group[data-id="workers"] .hl-fold-toggle'));
    await waitFor(() => drawn(view) === '5', 'fold');
    expect(view.node.querySelector('.hl-summary[data-group="workers"]')).not.toBeNull();
    expect(view.node.querySelector('.hl-node[data-id="n4"]')).toBeNull();
    click(view.node.querySelector('.hl-summary[data-group="workers"]'));
    await waitFor(() => drawn(view) === '10', 'unfold');
    expect(view.node.querySelector('.hl-node[data-id="n4"]')).not.toBeNull();
    // the unfolded layout was kept: back to it without ELK
    expect(layoutGraph).toHaveBeenCalledTimes(2);
  });

  it('folds all to locations and unfolds all', async () => {
    const view = await open(small());
    click(view.node.querySelector('[data-action="fold-all"]'));
    await waitFor(() => drawn(view) === '0', 'fold all');
    expect(view.node.querySelectorAll('.hl-summary').length).toBe(3);
    expect(view.node.getAttribute('data-summaries')).toBe('3');
    click(view.node.querySelector('[data-action="unfold-all"]'));
    await waitFor(() => drawn(view) === '10', 'unfold all');
  });

  it('opens a graph of 150 operators or more folded', async () => {
    const p = small();
    p.views = { ir: chain(300), dfir: null };
    p.key = null;
    const view = await open(p);
    expect(drawn(view)).toBe('0');
    expect(view.node.querySelectorAll('.hl-summary').length).toBe(3);
  });

  it('lays a folded graph out unfolded too, so "Unfold all" only draws', async () => {
    const p = small();
    p.views = { ir: chain(300), dfir: null };
    p.key = null;
    const view = await open(p);
    await waitFor(() => layoutGraph.mock.calls.length === 2, 'the speculative layout');
    await new Promise(r => setTimeout(r, 50));
    click(view.node.querySelector('[data-action="unfold-all"]'));
    await waitFor(() => drawn(view) === '300', 'unfold all');
    expect(layoutGraph).toHaveBeenCalledTimes(2);
    // the ELK graph of the second call was the unfolded one
    expect(JSON.stringify(layoutGraph.mock.calls[1][0]).match(/"id":"n\d+"/g)!.length).toBe(300);
  });

  it('shows details of a clicked operator, only the fields it has', async () => {
    const view = await open(small());
    click(view.node.querySelector('.hl-node[data-id="n2"] rect'));
    const fields = () => [...view.node.querySelectorAll('.hl-details [data-field]')].map(f => f.getAttribute('data-field'));
    expect(fields()).toEqual(['label', 'op', 'codec', 'channel', 'inputs', 'outputs', 'where']);
    const value = (f: string) => view.node.querySelector(`.hl-details [data-field="${f}"]`)!.textContent;
    expect(value('channel')).toBe('leader->workers#1');
    expect(value('codec')).toBe('pickle');
    click(view.node.querySelector('.hl-node[data-id="n1"]'));
    expect(value('kind')).toBe('Stream<Bounded, TotalOrder, ExactlyOnce>');
    expect(value('source')).toBe('In [3], line 2\nxs = leader.source_iter([1, 2, 3])');
    expect(view.node.querySelector('.hl-details [data-field="source"] .hl-code-line')!.textContent).toBe(
      'xs = leader.source_iter([1, 2, 3])'
    );
    click(view.node.querySelector('.hl-node[data-id="n10"]'));
    expect(value('label')).toBe('<img src=x onerror=alert(1)>');
    expect(view.node.querySelector('img')).toBeNull();
  });

  it('switches to the DFIR view in place, with the generated code and IR origin in the details', async () => {
    const view = await open(small());
    click(view.node.querySelector('[data-action="view-dfir"]'));
    await waitFor(() => view.node.getAttribute('data-view') === 'dfir' && drawn(view) === '5', 'dfir');
    expect(view.node.querySelectorAll('.hl-group[data-kind="subgraph"]').length).toBe(2);
    expect(view.node.querySelectorAll('.hl-group[data-kind="stratum"]').length).toBe(2);
    click(view.node.querySelector('.hl-node[data-id="d2"]'));
    expect(view.node.querySelector('.hl-details pre[data-field="code"]')!.textContent).toMatch(/def sg_0/);
    expect(view.node.querySelector('.hl-details [data-field="ir"]')!.textContent).toBe(
      "n10 · <img src=x onerror=alert(1)>"
    );
  });

  it('"show in IR" in a DFIR operator\'s details switches to IR and selects its IR operator', async () => {
    const view = await open(small());
    click(view.node.querySelector('[data-action="view-dfir"]'));
    await waitFor(() => view.node.getAttribute('data-view') === 'dfir' && drawn(view) === '5', 'dfir');
    click(view.node.querySelector('.hl-node[data-id="d2"]'));
    click(view.node.querySelector('.hl-details button.hl-link'));
    await waitFor(() => view.node.getAttribute('data-view') === 'ir', 'ir');
    await waitFor(() => view.node.querySelector('.hl-details .hl-details-id')?.textContent === 'n10', 'n10 selected');
    expect(view.node.querySelector('.hl-node.hl-selected')!.getAttribute('data-id')).toBe('n10');
    expect(view.node.querySelector('[data-action="view-ir"]')!.getAttribute('aria-pressed')).toBe('true');
  });

  it('zooms with the buttons about the middle and fits again', async () => {
    const view = await open(small());
    const stage = () => view.node.querySelector('g.hl-stage')!.getAttribute('transform');
    // jsdom measures nothing: the view is 0×0, so the fitted zoom is 1:1 at the padding
    expect(stage()).toBe('translate(12.0,12.0) scale(1.0000)');
    click(view.node.querySelector('[data-action="zoom-in"]'));
    expect(stage()).toBe('translate(15.0,15.0) scale(1.2500)');
    expect(viewStates.get('test:small')!.views.ir!.zoom).toEqual({ k: 1.25, x: 15, y: 15 });
    click(view.node.querySelector('[data-action="fit"]'));
    expect(stage()).toBe('translate(12.0,12.0) scale(1.0000)');
    expect(viewStates.get('test:small')!.views.ir!.zoom).toBeNull();
  });

  it('stays on IR and says why when there is no DFIR view', async () => {
    const p = small();
    p.views.dfir = null;
    p.notes = { dfir: 'the flow does not compile yet: no sink' };
    const view = await open(p);
    const dfir = view.node.querySelector('[data-action="view-dfir"]')!;
    expect(dfir.getAttribute('title')).toMatch(/does not compile yet/);
    click(dfir);
    expect(view.node.getAttribute('data-view')).toBe('ir');
    const note = view.node.querySelector('.hl-note') as HTMLElement;
    expect(note.hidden).toBe(false);
    expect(note.textContent).toBe('the flow does not compile yet: no sink');
  });

  it('search: Enter reveals the next match inside a folded group, centres it and lights it', async () => {
    const view = await open(small());
    click(view.node.querySelector('[data-action="fold-all"]'));
    await waitFor(() => drawn(view) === '0', 'fold all');
    const input = view.node.querySelector('input.hl-search') as HTMLInputElement;
    input.value = 'map';
    input.dispatchEvent(new Event('input'));
    expect(view.node.querySelector('.hl-search-count')!.textContent).toBe('2 matches');
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    await waitFor(() => view.node.querySelector('.hl-node.hl-current[data-id="n4"]') !== null, 'reveal');
    expect(view.node.querySelector('.hl-search-count')!.textContent).toBe('1/2');
    // only the groups holding n4 unfolded
    expect(view.node.querySelector('.hl-summary[data-group="leader"]')).not.toBeNull();
    expect(view.node.querySelector('.hl-group[data-id="watomic"]')).not.toBeNull();
  });
});

describe('live', () => {
  const livePayload = (): IPayload => ({ ...small(), live: { id: 'dep1', state: 'created', status: 'deploying' } });

  it('shows the status line, counts as badges and rates on network nodes; ignores old updates', async () => {
    const live = new FakeLive();
    const view = await open(livePayload(), live);
    const status = view.node.querySelector('.hl-status') as HTMLElement;
    expect(status.hidden).toBe(false);
    expect(status.getAttribute('data-state')).toBe('created');
    expect(status.textContent).toContain('deploying');
    live.send({
      type: 'update',
      id: 'dep1',
      seq: 2,
      state: 'running',
      status: 'running · 3 instances',
      views: { ir: { counts: { n4: 1234, n5: 3_400_000, n2: 7 }, rates: { n2: 12_300 } } },
      groups: { workers: { members: 3, alive: 2, killed: ['workers[1]'] } }
    });
    expect(view.node.getAttribute('data-state')).toBe('running');
    expect(status.querySelector('.hl-status-text')!.textContent).toBe('running · 3 instances');
    const badge = (id: string) => view.node.querySelector(`.hl-node[data-id="${id}"] .hl-count`)?.textContent;
    expect(badge('n4')).toBe('1.2k');
    expect(badge('n5')).toBe('3.4M');
    expect(badge('n1')).toBeUndefined();
    expect(view.node.querySelector('.hl-node[data-id="n2"] .hl-rate')!.textContent).toBe('12.3k msg/s');
    const workers = view.node.querySelector('.hl-group[data-id="workers"]')!;
    expect(workers.querySelector('.hl-alive')!.textContent).toBe('2/3 alive');
    expect(workers.querySelector('.hl-killed')!.textContent).toContain('workers[1]');
    // an older update changes nothing
    live.send({ type: 'update', id: 'dep1', seq: 1, state: 'stopped', views: { ir: { counts: { n4: 1 } } } });
    expect(badge('n4')).toBe('1.2k');
    expect(view.node.getAttribute('data-state')).toBe('running');
  });

  it("shows a folded cluster's members on its summary", async () => {
    const live = new FakeLive();
    const view = await open(livePayload(), live);
    click(view.node.querySelector('.hl-group[data-id="workers"] .hl-fold-toggle'));
    await waitFor(() => drawn(view) === '5', 'fold');
    live.send({ type: 'update', id: 'dep1', seq: 1, state: 'running', views: {}, groups: { workers: { members: 3, alive: 1, killed: ['workers[0]', 'workers[2]'] } } });
    const summary = view.node.querySelector('.hl-summary[data-group="workers"]')!;
    expect(summary.querySelector('.hl-alive')!.textContent).toBe('1/3 alive');
    expect(summary.querySelector('.hl-killed')!.textContent).toBe(' · killed: workers[0], workers[2]');
    expect(summary.classList.contains('hl-has-killed')).toBe(true);
  });

  it('sums the counts of a folded group on its summary', async () => {
    const live = new FakeLive();
    const view = await open(livePayload(), live);
    live.send({ type: 'update', id: 'dep1', seq: 1, state: 'running', views: { ir: { counts: { n3: 400, n4: 600, n8: 5 } } } });
    click(view.node.querySelector('.hl-group[data-id="workers"] .hl-fold-toggle'));
    await waitFor(() => drawn(view) === '5', 'fold');
    expect(view.node.querySelector('.hl-summary[data-group="workers"] .hl-count')!.textContent).toBe('1k');
    expect(view.node.querySelector('.hl-summary[data-group="workers"]')!.getAttribute('data-count')).toBe('1000');
  });

  it('a failed deployment shows its error and keeps the last values', async () => {
    const live = new FakeLive();
    const view = await open(livePayload(), live);
    live.send({ type: 'update', id: 'dep1', seq: 1, state: 'running', views: { ir: { counts: { n4: 10 } } } });
    live.send({ type: 'update', id: 'dep1', seq: 2, state: 'failed', error: 'ZeroDivisionError in map', views: {} });
    const err = view.node.querySelector('.hl-status-error') as HTMLElement;
    expect(err.hidden).toBe(false);
    expect(err.textContent).toBe('ZeroDivisionError in map');
    expect(view.node.getAttribute('data-state')).toBe('failed');
    expect(view.node.querySelector('.hl-node[data-id="n4"] .hl-count')!.textContent).toBe('10');
  });

  it('replay: lights the counted nodes and the edges between them, fades the rest', async () => {
    const live = new FakeLive();
    const view = await open(livePayload(), live);
    live.send({ type: 'update', id: 'dep1', seq: 1, state: 'replay', views: { ir: { counts: { n3: 2, n4: 2 }, lit: true } } });
    const cls = (sel: string) => view.node.querySelector(sel)!.classList;
    expect(cls('.hl-node[data-id="n3"]').contains('hl-lit')).toBe(true);
    expect(cls('.hl-node[data-id="n1"]').contains('hl-faded')).toBe(true);
    expect(cls('.hl-edge[data-id="e3"]').contains('hl-lit')).toBe(true);
    expect(cls('.hl-edge[data-id="e4"]').contains('hl-lit')).toBe(false);
    expect(view.node.querySelector('svg.hl-svg')!.classList.contains('hl-lit-mode')).toBe(true);
    live.send({ type: 'update', id: 'dep1', seq: 2, state: 'replay', views: { ir: { counts: {}, lit: true } } });
    expect(cls('.hl-node[data-id="n3"]').contains('hl-lit')).toBe(false);
  });

  it('applies updates without laying out again', async () => {
    const live = new FakeLive();
    await open(livePayload(), live);
    const calls = layoutGraph.mock.calls.length;
    for (let seq = 1; seq < 20; seq++) {
      live.send({ type: 'update', id: 'dep1', seq, state: 'running', views: { ir: { counts: { n4: seq } } } });
    }
    expect(layoutGraph.mock.calls.length).toBe(calls);
  });
});

describe('state', () => {
  it('a second render of the same renderer keeps folds and does not lay out again', async () => {
    const view = await open(small());
    click(view.node.querySelector('.hl-group[data-id="workers"] .hl-fold-toggle'));
    await waitFor(() => drawn(view) === '5', 'fold');
    const calls = layoutGraph.mock.calls.length;
    const again = small();
    again.views.ir.nodes[0].source = 'In [4], line 2';
    await view.render(again);
    expect(layoutGraph.mock.calls.length).toBe(calls);
    expect(drawn(view)).toBe('5');
    // a structural change lays out again, keeping the fold
    const changed = small();
    changed.views.ir.edges.push({ id: 'e99', src: 'n1', dst: 'n8' });
    await view.render(changed);
    expect(layoutGraph.mock.calls.length).toBeGreaterThan(calls);
    expect(view.node.querySelector('.hl-summary[data-group="workers"]')).not.toBeNull();
  });

  it('a new renderer for the same key restores the view and the folds that still exist', async () => {
    const first = await open(small());
    click(first.node.querySelector('.hl-group[data-id="workers"] .hl-fold-toggle'));
    await waitFor(() => drawn(first) === '5', 'fold');
    click(first.node.querySelector('.hl-group[data-id="client"] .hl-fold-toggle'));
    await waitFor(() => drawn(first) === '4', 'fold client');
    click(first.node.querySelector('[data-action="zoom-in"]'));
    first.dispose();
    // the re-run cell: the external is gone
    const next = small();
    next.views.ir.groups = next.views.ir.groups.filter(g => g.id !== 'client');
    next.views.ir.nodes = next.views.ir.nodes.filter(n => n.id !== 'n9');
    next.views.ir.edges = next.views.ir.edges.filter(e => e.id !== 'e9');
    const second = await open(next);
    expect(second.node.querySelector('.hl-summary[data-group="workers"]')).not.toBeNull();
    expect(drawn(second)).toBe('4');
    const saved = viewStates.get('test:small')!;
    expect(saved.views.ir!.folded).toEqual(['workers']);
    expect(saved.views.ir!.zoom).not.toBeNull();
  });

  it('a different key starts fresh', async () => {
    const first = await open(small());
    click(first.node.querySelector('.hl-group[data-id="workers"] .hl-fold-toggle'));
    await waitFor(() => drawn(first) === '5', 'fold');
    const other = small();
    other.key = 'test:other';
    const second = await open(other);
    expect(drawn(second)).toBe('10');
  });
});
