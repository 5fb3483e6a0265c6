/** Label widths: where there is no canvas (jsdom), the monospace estimate. */
import { estimateWidth } from '../layout';
import { canvasMeasure } from '../measure';

describe('canvasMeasure', () => {
  it('falls back to the estimate without a canvas', () => {
    const measure = canvasMeasure(document);
    expect(measure).toBe(estimateWidth);
    expect(measure('map(f)', 10)).toBe(36);
  });
});
