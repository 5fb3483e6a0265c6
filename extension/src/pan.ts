/**
 * Moving around a graph with the pointer: dragging the viewport pans it (a press that moves less
 * than 4 px stays a click), ctrl/⌘ + wheel or a pinch zooms about the pointer, and a plain wheel
 * scrolls the notebook as usual. The view owns the zoom; this only reports the gestures.
 */
import { wheelFactor } from './zoom';

export interface IPanHandlers {
  /** A drag may start: the scene's offset now, or null when there is nothing to pan. */
  start(): [number, number] | null;
  /** While dragging: the scene's new offset. */
  drag(x: number, y: number): void;
  /** A drag that moved has ended. */
  end(): void;
  /** Zoom by `factor` about the viewport point (sx, sy). */
  zoom(factor: number, sx: number, sy: number): void;
}

export interface IPanning {
  /** A drag ended in this task: the click that follows it is not a click. */
  justPanned(): boolean;
}

/** Listens for the gestures on `viewport`. */
export function listenPan(viewport: HTMLElement, on: IPanHandlers): IPanning {
  let pan: { x: number; y: number; zx: number; zy: number; moved: boolean; pointer: number } | null = null;
  let justPanned = false;
  viewport.addEventListener(
    'wheel',
    e => {
      // A plain wheel scrolls the notebook; only ctrl/⌘ + wheel (and pinch) zooms the graph.
      if (!(e.ctrlKey || e.metaKey)) {
        return;
      }
      e.preventDefault();
      const r = viewport.getBoundingClientRect();
      on.zoom(wheelFactor(e.deltaY, e.deltaMode), e.clientX - r.left, e.clientY - r.top);
    },
    { passive: false }
  );
  viewport.addEventListener('pointerdown', e => {
    if (e.button !== 0) {
      return;
    }
    const at = on.start();
    if (at) {
      pan = { x: e.clientX, y: e.clientY, zx: at[0], zy: at[1], moved: false, pointer: e.pointerId };
    }
  });
  viewport.addEventListener('pointermove', e => {
    const p = pan;
    if (!p || e.pointerId !== p.pointer) {
      return;
    }
    const dx = e.clientX - p.x;
    const dy = e.clientY - p.y;
    if (!p.moved && Math.hypot(dx, dy) < 4) {
      return;
    }
    if (!p.moved) {
      p.moved = true;
      viewport.classList.add('hl-panning');
      try {
        viewport.setPointerCapture(e.pointerId);
      } catch {
        // the pointer is gone already
      }
    }
    on.drag(p.zx + dx, p.zy + dy);
  });
  const end = () => {
    if (pan?.moved) {
      justPanned = true;
      setTimeout(() => (justPanned = false), 0);
      on.end();
    }
    pan = null;
    viewport.classList.remove('hl-panning');
  };
  viewport.addEventListener('pointerup', end);
  viewport.addEventListener('pointercancel', end);
  return { justPanned: () => justPanned };
}
