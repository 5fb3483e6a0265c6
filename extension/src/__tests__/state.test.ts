import { indexGraph } from '../model';
import { ViewKind } from '../protocol';
import { IRestored, restoreKind, saveViewState, viewStates } from '../state';
import { chain, small } from './helpers';

describe('view state across renderers', () => {
  it('keeps the folds of groups that still exist and drops the others', () => {
    const index = indexGraph(small().views.ir);
    const restored = restoreKind(index, {
      folded: ['workers', 'gone', 'wtick'],
      zoom: { k: 0.5, x: 10, y: 20 },
      selection: 'n3'
    });
    expect(restored.folded).toEqual(new Set(['workers', 'wtick']));
    expect(restored.zoom).toEqual({ k: 0.5, x: 10, y: 20 });
    expect(restored.selection).toBe('n3');
  });

  it('drops a selection whose operator vanished', () => {
    const index = indexGraph(small().views.ir);
    expect(restoreKind(index, { folded: [], zoom: null, selection: 'n404' }).selection).toBeNull();
  });

  it('opens with the defaults when nothing was saved (a large graph folded)', () => {
    const index = indexGraph(chain(200));
    expect(restoreKind(index, undefined)).toEqual({
      folded: new Set(['L0', 'L1', 'L2']),
      zoom: null,
      selection: null
    });
  });

  it('an explicit empty fold list stays unfolded, even on a large graph', () => {
    const index = indexGraph(chain(200));
    expect(restoreKind(index, { folded: [], zoom: null, selection: null }).folded).toEqual(new Set());
  });

  it('is one map for the page', () => {
    viewStates.set('k', { view: 'dfir', views: {} });
    expect(viewStates.get('k')!.view).toBe('dfir');
    viewStates.delete('k');
  });
});

describe('saveViewState', () => {
  it('keeps copies of the folds, zoom and selection by key', () => {
    viewStates.clear();
    const zoom = { k: 2, x: 1, y: 3 };
    const ir: IRestored = { folded: new Set(['workers']), zoom, selection: 'n4' };
    const kinds = new Map<ViewKind, IRestored>([
      ['ir', ir],
      ['dfir', { folded: new Set(), zoom: null, selection: null }]
    ]);
    saveViewState('k1', 'dfir', kinds);
    ir.folded.add('leader');
    zoom.k = 9;
    expect(viewStates.get('k1')).toEqual({
      view: 'dfir',
      views: {
        ir: { folded: ['workers'], zoom: { k: 2, x: 1, y: 3 }, selection: 'n4' },
        dfir: { folded: [], zoom: null, selection: null }
      }
    });
  });
});
