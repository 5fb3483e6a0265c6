/**
 * How wide a label is drawn: measured on a canvas in the page's font (cached per text and size),
 * so boxes fit their labels; the monospace estimate where there is no canvas.
 */
import { FONT_FAMILY, Measure, estimateWidth } from './layout';

/** Text width from a canvas (cached), or the monospace estimate where there is no canvas. */
export function canvasMeasure(doc: Document): Measure {
  let ctx: CanvasRenderingContext2D | null = null;
  try {
    // jsdom (the Jest tests) has no canvas and logs an error when asked for one
    if (!/jsdom/i.test(doc.defaultView?.navigator.userAgent ?? '')) {
      ctx = doc.createElement('canvas').getContext('2d');
    }
  } catch {
    ctx = null;
  }
  if (!ctx) {
    return estimateWidth;
  }
  const c = ctx;
  const cache = new Map<string, number>();
  let font = '';
  return (text, px) => {
    const key = `${px}\u0000${text}`;
    let w = cache.get(key);
    if (w === undefined) {
      const f = `${px}px ${FONT_FAMILY}`;
      if (font !== f) {
        c.font = f;
        font = f;
      }
      w = c.measureText(text).width;
      cache.set(key, w);
    }
    return w;
  };
}
