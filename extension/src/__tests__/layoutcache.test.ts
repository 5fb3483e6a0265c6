/**
 * The layouts kept per view kind, with ELK run in-process behind a mock of the worker: kept by
 * folds (and liveness), made once when asked twice, the oldest dropped, and the speculative
 * unfolded layout of a folded graph of moderate size.
 */
import { estimateWidth } from '../layout';
import {
  ILayoutsOf,
  KEEP_LAYOUTS,
  SPECULATE_MAX_OPERATORS,
  layoutKey,
  layoutOf,
  speculate,
  tallHeaders
} from '../layoutcache';
import { indexGraph } from '../model';
import { IGraph } from '../protocol';
import { chain, small } from './helpers';

jest.mock('../elk', () => {
  const ELK = require('elkjs/lib/elk.bundled.js');
  return {
    layoutGraph: jest.fn(async (graph: unknown) => ({ graph: await new ELK().layout(graph), ms: 7 }))
  };
});
// eslint-disable-next-line @typescript-eslint/no-var-requires
const layoutGraph: jest.Mock = require('../elk').layoutGraph;

function kind(graph: IGraph = small().views.ir): ILayoutsOf {
  return { graph, index: indexGraph(graph), layouts: new Map(), pending: new Map() };
}

beforeEach(() => layoutGraph.mockClear());

describe('layoutKey and tallHeaders', () => {
  it('keys by the folds in any order, and by liveness', () => {
    expect(layoutKey(new Set(['b', 'a']), false)).toBe(layoutKey(new Set(['a', 'b']), false));
    expect(layoutKey(new Set(['a']), true)).not.toBe(layoutKey(new Set(['a']), false));
    expect(layoutKey(new Set(), false)).toBe('');
  });

  it('gives a live graph\'s clusters a tall header, and nothing else', () => {
    const graph = small().views.ir;
    expect(tallHeaders(graph, true)).toEqual(new Set(['workers']));
    expect(tallHeaders(graph, false)).toEqual(new Set());
  });
});

describe('layoutOf', () => {
  it('lays out the visible graph once and keeps it', async () => {
    const of = kind();
    const laid = await layoutOf(of, new Set(['workers']), false, estimateWidth);
    expect(layoutGraph).toHaveBeenCalledTimes(1);
    expect(laid.layoutMs).toBe(7);
    // five operators and the workers' summary
    expect(laid.vis.nodes.length).toBe(6);
    expect(laid.layout.nodes.size).toBe(6);
    expect(of.layouts.get(layoutKey(new Set(['workers']), false))).toBe(laid);
    expect(of.pending.size).toBe(0);
    expect(await layoutOf(of, new Set(['workers']), false, estimateWidth)).toBe(laid);
    expect(layoutGraph).toHaveBeenCalledTimes(1);
  });

  it('makes a layout asked for twice at once only once', async () => {
    const of = kind();
    const [a, b] = await Promise.all([
      layoutOf(of, new Set(), false, estimateWidth),
      layoutOf(of, new Set(), false, estimateWidth)
    ]);
    expect(a).toBe(b);
    expect(layoutGraph).toHaveBeenCalledTimes(1);
  });

  it('lays a live graph out again, with room for its clusters\' status', async () => {
    const of = kind();
    const still = await layoutOf(of, new Set(), false, estimateWidth);
    const live = await layoutOf(of, new Set(), true, estimateWidth);
    expect(layoutGraph).toHaveBeenCalledTimes(2);
    expect(live.layout.groups.get('workers')!.h).toBeGreaterThan(still.layout.groups.get('workers')!.h);
  });

  it(`keeps the ${KEEP_LAYOUTS} newest layouts`, async () => {
    const of = kind();
    const folds = [[], ['leader'], ['workers'], ['client'], ['wtick'], ['watomic'], ['leader', 'workers']];
    for (const f of folds) {
      await layoutOf(of, new Set(f), false, estimateWidth);
    }
    expect(of.layouts.size).toBe(KEEP_LAYOUTS);
    expect(of.layouts.has(layoutKey(new Set(), false))).toBe(false);
    expect(of.layouts.has(layoutKey(new Set(['leader']), false))).toBe(true);
  });

  it('keeps nothing of a failed layout', async () => {
    const of = kind();
    layoutGraph.mockRejectedValueOnce(new Error('worker gone'));
    await expect(layoutOf(of, new Set(), false, estimateWidth)).rejects.toThrow('worker gone');
    expect(of.layouts.size).toBe(0);
    expect(of.pending.size).toBe(0);
  });
});

describe('speculate', () => {
  it('lays a folded graph out unfolded too', async () => {
    const of = kind(chain(300));
    speculate(of, new Set(['L0', 'L1', 'L2']), false, estimateWidth);
    expect(of.pending.has(layoutKey(new Set(), false))).toBe(true);
    await of.pending.get(layoutKey(new Set(), false));
    expect(of.layouts.get(layoutKey(new Set(), false))!.vis.nodes.length).toBe(300);
  });

  it('not an unfolded graph, nor one too large to lay out quickly', () => {
    speculate(kind(), new Set(), false, estimateWidth);
    speculate(kind(chain(SPECULATE_MAX_OPERATORS + 1)), new Set(['L0']), false, estimateWidth);
    expect(layoutGraph).not.toHaveBeenCalled();
  });
});
