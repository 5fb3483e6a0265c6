/** The details of an operator, from the kernel's estimate_pi fixture: an IR node and a DFIR node. */
import { IDetailsContext, detailFields, fillDetails } from '../details';
import { IGraphIndex, indexGraph } from '../model';
import { INode } from '../protocol';
import { kernelFixture } from './helpers';

const payload = kernelFixture('estimate_pi.json');
const ir = indexGraph(payload.views.ir);
const dfir = indexGraph(payload.views.dfir!);

const node = (index: IGraphIndex, id: string): INode => index.nodes.get(id)!;
const irContext = (more: Partial<IDetailsContext> = {}): IDetailsContext => ({ kind: 'ir', index: ir, replay: false, ...more });
const dfirContext = (more: Partial<IDetailsContext> = {}): IDetailsContext => ({
  kind: 'dfir',
  index: dfir,
  replay: false,
  irIndex: ir,
  ...more
});
const byName = (fields: { name: string; value: string }[]) => Object.fromEntries(fields.map(f => [f.name, f.value]));

describe('detailFields', () => {
  it('an IR network node: what the payload says, its edges and where it sits', () => {
    const fields = detailFields(node(ir, 'n10'), irContext());
    expect(fields.map(f => f.name)).toEqual(['label', 'op', 'kind', 'source', 'codec', 'channel', 'inputs', 'outputs', 'where']);
    expect(byName(fields)).toEqual({
      label: 'send(workers->leader#1 [pickle])',
      op: 'send',
      kind: 'KeyedStream<MemberId<workers>, Unbounded, TotalOrder, ExactlyOnce>',
      source: 'estimate_pi.py, line 25',
      codec: 'pickle',
      channel: 'workers->leader#1',
      inputs: '← all_ticks()  Stream<Unbounded, TotalOrder, ExactlyOnce>  (network)',
      outputs: '→ values()  KeyedStream<Unbounded, TotalOrder, ExactlyOnce>',
      where: 'process leader'
    });
    const source = fields.find(f => f.name === 'source')!;
    expect(source.codeLine).toBe('all_samples = samples.send_bincode_interleaved(leader)  # == samples.send(leader).values()');
    expect(fields.filter(f => f.pre).map(f => f.name)).toEqual(['inputs', 'outputs']);
    expect(fields.find(f => f.name === 'label')!.title).toBe('label');
    expect(fields.find(f => f.name === 'kind')!.title).toBe('produces');
  });

  it('an IR node with a nondet reason, inside a tick of a cluster', () => {
    const fields = byName(detailFields(node(ir, 'n6'), irContext()));
    expect(fields.nondet).toBe('spin produces one value per tick, so every batch holds exactly 1024 units');
    expect(fields.label).toBe(
      'spin_batch(1024 per tick, nondet("spin produces one value per tick, so every batch holds exactly 1024 units"))'
    );
    expect(fields.where).toBe('cluster workers › tick t3');
  });

  it('a DFIR node: the IR node it was lowered from and its subgraph\'s generated Python', () => {
    const fields = detailFields(node(dfir, 'loc2_op6'), dfirContext());
    expect(fields.map(f => f.name)).toEqual([
      'label',
      'op',
      'kind',
      'source',
      'codec',
      'channel',
      'ir',
      'code',
      'inputs',
      'outputs',
      'where'
    ]);
    const f = Object.fromEntries(fields.map(x => [x.name, x]));
    expect(f.label.value).toBe('(6) dest_port\nsend workers->leader#1');
    expect(f.op.value).toBe('dest_port');
    expect(f.ir.title).toBe('lowered from');
    expect(f.ir.value).toBe('n10 · send(workers->leader#1 [pickle])');
    expect(f.ir.irNode).toBe('n10');
    expect(f.code.title).toBe('generated Python (subgraph 2)');
    expect(f.code.value).toBe(dfir.groups.get('loc2_sg2')!.code);
    expect(f.code.value).toMatch(/^# subgraph 2, stratum 1/);
    expect(f.code.pre).toBe(true);
    expect(f.inputs.value).toBe('← (5) emit');
    expect(f.outputs.value).toBe('→ (1) source_stream  workers->leader#1  (network)');
    expect(f.where.value).toBe('cluster workers › stratum 1 › subgraph 2');
  });

  it('a DFIR node whose IR node is not known names it without a link', () => {
    const f = detailFields(node(dfir, 'loc2_op6'), dfirContext({ irIndex: undefined })).find(x => x.name === 'ir')!;
    expect(f.value).toBe('n10');
    expect(f.irNode).toBeUndefined();
  });

  it('a handoff has no source, code or IR origin', () => {
    expect(detailFields(node(dfir, 'loc1_h1'), dfirContext()).map(f => f.name)).toEqual(['label', 'op', 'inputs', 'outputs', 'where']);
  });

  it('live values: elements so far and the rate; per step in a replay or a lit overlay', () => {
    const overlay = { counts: { n10: 42 }, rates: { n10: 12_300 } };
    const live = detailFields(node(ir, 'n10'), irContext({ overlay }));
    expect(live.map(f => f.name)).toEqual(['label', 'op', 'kind', 'source', 'codec', 'channel', 'count', 'rate', 'inputs', 'outputs', 'where']);
    const count = live.find(f => f.name === 'count')!;
    expect([count.title, count.value]).toEqual(['elements so far', '42']);
    expect(live.find(f => f.name === 'rate')!.value).toBe('12.3k msg/s');
    const replay = detailFields(node(ir, 'n10'), irContext({ overlay, replay: true }));
    expect(replay.find(f => f.name === 'count')!.title).toBe('elements in this step');
    const lit = detailFields(node(ir, 'n10'), irContext({ overlay: { counts: { n10: 0 }, lit: true } }));
    expect(lit.find(f => f.name === 'count')!.title).toBe('elements in this step');
    expect(lit.find(f => f.name === 'count')!.value).toBe('0');
  });
});

describe('fillDetails', () => {
  function fill(n: INode | undefined, ctx: IDetailsContext) {
    const panel = document.createElement('div');
    document.body.replaceChildren(panel);
    const calls: string[] = [];
    fillDetails(panel, n, ctx, { close: () => calls.push('close'), showInIr: id => calls.push(`ir ${id}`) });
    const value = (f: string) => panel.querySelector(`[data-field="${f}"]`)?.textContent;
    return { panel, calls, value };
  }

  it('shows the head and one row per field, the value alone in its data-field element', () => {
    const { panel, value } = fill(node(ir, 'n10'), irContext());
    expect(panel.hidden).toBe(false);
    const head = panel.querySelector('.hl-details-head')!;
    expect(head.querySelector('.hl-details-type.hl-type-network')!.textContent).toBe('network');
    expect(head.querySelector('.hl-details-id')!.textContent).toBe('n10');
    expect([...panel.querySelectorAll('.hl-field-name')].map(e => e.textContent)).toEqual([
      'label',
      'operator',
      'produces',
      'source',
      'codec',
      'channel',
      'inputs',
      'outputs',
      'in'
    ]);
    expect(value('channel')).toBe('workers->leader#1');
    expect(value('source')).toBe(
      'estimate_pi.py, line 25\nall_samples = samples.send_bincode_interleaved(leader)  # == samples.send(leader).values()'
    );
    expect(panel.querySelector('[data-field="source"] pre.hl-code-line')!.textContent).toMatch(/^all_samples = /);
    expect(panel.querySelector('[data-field="inputs"]')!.tagName).toBe('PRE');
    expect(panel.querySelector('[data-field="codec"]')!.tagName).toBe('DIV');
  });

  it('a DFIR node links to its IR node; the close button closes', () => {
    const { panel, calls } = fill(node(dfir, 'loc2_op6'), dfirContext());
    const link = panel.querySelector('[data-field="ir"]')!.parentElement!.querySelector('button.hl-link') as HTMLButtonElement;
    expect(link.textContent).toBe('show in IR');
    link.click();
    (panel.querySelector('.hl-details-close') as HTMLButtonElement).click();
    expect(calls).toEqual(['ir n10', 'close']);
    expect(panel.querySelector('pre[data-field="code"]')!.textContent).toMatch(/^# subgraph 2, stratum 1/);
  });

  it('no operator: the panel is emptied and hidden', () => {
    const { panel } = fill(node(ir, 'n10'), irContext());
    fillDetails(panel, undefined, irContext(), { close: () => undefined, showInIr: () => undefined });
    expect(panel.hidden).toBe(true);
    expect(panel.childNodes.length).toBe(0);
  });
});
