import { indexGraph } from '../model';
import { restoreKind, viewStates } from '../state';
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
