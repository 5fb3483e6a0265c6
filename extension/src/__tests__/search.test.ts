/** Search results on screen: the count text, stepping, and the lit matches on a drawn graph. */
import { paintMatches, searchCountText, stepMatch } from '../search';
import { kernelFixture, drawFixture } from './helpers';

describe('searchCountText', () => {
  it('says nothing, no match, how many, or which one', () => {
    expect(searchCountText('  ', 0, -1)).toBe('');
    expect(searchCountText('zzz', 0, -1)).toBe('no match');
    expect(searchCountText('map', 1, -1)).toBe('1 match');
    expect(searchCountText('map', 3, -1)).toBe('3 matches');
    expect(searchCountText('map', 3, 1)).toBe('2/3');
  });
});

describe('stepMatch', () => {
  it('starts at either end and wraps', () => {
    expect(stepMatch(-1, 1, 3)).toBe(0);
    expect(stepMatch(-1, -1, 3)).toBe(2);
    expect(stepMatch(2, 1, 3)).toBe(0);
    expect(stepMatch(0, -1, 3)).toBe(2);
    expect(stepMatch(1, 1, 3)).toBe(2);
  });
});

describe('paintMatches', () => {
  it('lights the matches, a folded one on its summary, and marks the current one', async () => {
    const d = await drawFixture(kernelFixture('estimate_pi.json').views.ir, ['loc2']);
    const classes = (cls: string) =>
      [...document.querySelectorAll(`.hl-node.${cls}`)].map(n => n.getAttribute('data-group') ?? n.getAttribute('data-id'));
    paintMatches(d.drawn, d.vis, ['n7', 'n11'], 'n11');
    expect(classes('hl-match')).toEqual(expect.arrayContaining(['loc2', 'n11']));
    expect(classes('hl-match').length).toBe(2);
    expect(classes('hl-current')).toEqual(['n11']);
    paintMatches(d.drawn, d.vis, [], null);
    expect(classes('hl-match')).toEqual([]);
    expect(classes('hl-current')).toEqual([]);
  });
});
