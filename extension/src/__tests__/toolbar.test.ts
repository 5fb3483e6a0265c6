/** The toolbar: its buttons by data-action, what pressing and typing report, the view buttons' state. */
import { Action, buildToolbar, paintViewButtons } from '../toolbar';

function setup() {
  const parent = document.createElement('div');
  document.body.replaceChildren(parent);
  const acts: Action[] = [];
  const steps: number[] = [];
  let searches = 0;
  const toolbar = buildToolbar(parent, {
    act: a => acts.push(a),
    search: () => searches++,
    step: by => steps.push(by)
  });
  return { parent, toolbar, acts, steps, searches: () => searches };
}

const key = (k: string, shiftKey = false) => new KeyboardEvent('keydown', { key: k, shiftKey, cancelable: true });

describe('buildToolbar', () => {
  it('builds the title, the buttons in their groups, the search box and the hidden busy note', () => {
    const { parent, toolbar } = setup();
    const bar = parent.querySelector('.hl-toolbar')!;
    expect(bar.firstElementChild).toBe(toolbar.title);
    expect([...bar.querySelectorAll('[data-action]')].map(b => b.getAttribute('data-action'))).toEqual([
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
    expect([...bar.querySelectorAll('.hl-views [data-action]')].map(b => b.textContent)).toEqual(['IR', 'DFIR']);
    expect([...bar.querySelectorAll('.hl-exports [data-action]')].map(b => b.textContent)).toEqual(['SVG', 'PNG']);
    expect(toolbar.buttons.get('fit')!.textContent).toBe('Fit');
    expect(bar.querySelector('.hl-search-group input.hl-search')).toBe(toolbar.searchInput);
    expect(toolbar.searchInput.getAttribute('aria-label')).toBe('find operator');
    expect(bar.querySelector('.hl-search-group .hl-search-count')).toBe(toolbar.searchCount);
    expect(toolbar.busy.hidden).toBe(true);
  });

  it('reports a pressed button by its action', () => {
    const { toolbar, acts } = setup();
    toolbar.buttons.get('fold-all')!.click();
    toolbar.buttons.get('export-png')!.click();
    expect(acts).toEqual(['fold-all', 'export-png']);
  });

  it('reports typing, Enter and Shift+Enter as steps, and Escape as a cleared search', () => {
    const { toolbar, steps, searches } = setup();
    const input = toolbar.searchInput;
    input.value = 'map';
    input.dispatchEvent(new Event('input'));
    expect(searches()).toBe(1);
    const enter = key('Enter');
    input.dispatchEvent(enter);
    expect(enter.defaultPrevented).toBe(true);
    input.dispatchEvent(key('Enter', true));
    expect(steps).toEqual([1, -1]);
    input.dispatchEvent(key('Escape'));
    expect(input.value).toBe('');
    expect(searches()).toBe(2);
  });
});

describe('paintViewButtons', () => {
  it('marks the view shown', () => {
    const { toolbar } = setup();
    paintViewButtons(toolbar, 'dfir', null);
    const ir = toolbar.buttons.get('view-ir')!;
    const dfir = toolbar.buttons.get('view-dfir')!;
    expect([ir.classList.contains('hl-active'), ir.getAttribute('aria-pressed')]).toEqual([false, 'false']);
    expect([dfir.classList.contains('hl-active'), dfir.getAttribute('aria-pressed')]).toEqual([true, 'true']);
    expect(dfir.classList.contains('hl-unavailable')).toBe(false);
    expect(dfir.title).toBe('the compiled DFIR graph: subgraphs and strata by location');
  });

  it('greys a missing DFIR view and says why, until it is there again', () => {
    const { toolbar } = setup();
    const dfir = toolbar.buttons.get('view-dfir')!;
    paintViewButtons(toolbar, 'ir', 'the flow does not compile yet: no sink');
    expect(dfir.classList.contains('hl-unavailable')).toBe(true);
    expect(dfir.title).toBe('no DFIR view: the flow does not compile yet: no sink');
    paintViewButtons(toolbar, 'ir', null);
    expect(dfir.classList.contains('hl-unavailable')).toBe(false);
  });
});
