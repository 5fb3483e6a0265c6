/**
 * Search results on screen: the count beside the search box, stepping through the matches, and
 * which drawn nodes light up (a match inside a folded group lights the group's summary). Finding
 * the matches is the model's (`searchNodes`).
 */
import { IDrawn } from './draw';
import { IVisibleGraph } from './model';

/** Beside the box: nothing, "no match", "3 matches", or "2/3" once stepping. */
export function searchCountText(query: string, matches: number, at: number): string {
  if (!query.trim()) {
    return '';
  }
  if (matches === 0) {
    return 'no match';
  }
  return at >= 0 ? `${at + 1}/${matches}` : `${matches} match${matches === 1 ? '' : 'es'}`;
}

/** The match after `at` (`by` +1) or before it (-1), wrapping; the first step starts at either end. */
export function stepMatch(at: number, by: number, matches: number): number {
  return at < 0 ? (by > 0 ? 0 : matches - 1) : (at + by + matches) % matches;
}

/** Marks the drawn nodes showing a match (`hl-match`) and the one stepped to (`hl-current`). */
export function paintMatches(drawn: IDrawn, vis: IVisibleGraph, matches: string[], current: string | null): void {
  const hit = new Set<string>();
  for (const id of matches) {
    const v = vis.shownAs.get(id);
    if (v) {
      hit.add(v);
    }
  }
  for (const [id, g] of drawn.nodes) {
    g.classList.toggle('hl-match', hit.has(id));
    g.classList.toggle('hl-current', id === current);
  }
}
