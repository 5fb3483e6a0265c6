/**
 * The zoom of a drawn graph as plain numbers: how tall the viewport grows, the fitted zoom,
 * zooming about a point, keeping a group in place across a re-layout, centring an operator.
 * No DOM here: the view reads the sizes, calls these, and writes the transform.
 */
import { IBox } from './layout';
import { IZoom } from './state';

/** The tallest the graph's viewport grows; a larger graph pans inside it. */
export const MAX_VIEWPORT_HEIGHT = 600;
export const MIN_VIEWPORT_HEIGHT = 140;
/** Room kept around a fitted graph. */
export const FIT_PAD = 12;
export const MIN_ZOOM = 0.03;
export const MAX_ZOOM = 4;
/** Zoom a search match is brought to when the view is smaller than this. */
export const READABLE_ZOOM = 0.8;

/** A drawing's size (a layout's width and height). */
export interface ISize {
  width: number;
  height: number;
}

export function clampZoom(k: number): number {
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k));
}

/**
 * The viewport's height for a graph at a viewport width: the graph's height at its fitted width
 * (never enlarged), from {@link MIN_VIEWPORT_HEIGHT} to {@link MAX_VIEWPORT_HEIGHT}.
 */
export function viewportHeight(graph: ISize, width: number): number {
  const k = Math.min(1, (width - 2 * FIT_PAD) / Math.max(1, graph.width));
  return Math.round(Math.max(MIN_VIEWPORT_HEIGHT, Math.min(MAX_VIEWPORT_HEIGHT, graph.height * k + 2 * FIT_PAD)));
}

/**
 * The whole graph in a viewport of `[w, h]`, centred, never enlarged (a small graph stays at
 * 1:1). Before anything is drawn or measured: 1:1 at the padding.
 */
export function fitZoom(graph: ISize | null, [w, h]: [number, number]): IZoom {
  if (!graph || w === 0 || h === 0) {
    return { k: 1, x: FIT_PAD, y: FIT_PAD };
  }
  const k = Math.max(
    MIN_ZOOM,
    Math.min(1, (w - 2 * FIT_PAD) / Math.max(1, graph.width), (h - 2 * FIT_PAD) / Math.max(1, graph.height))
  );
  return { k, x: (w - graph.width * k) / 2, y: Math.max(FIT_PAD, (h - graph.height * k) / 2) };
}

/** Zoomed by `factor`, keeping the graph point under the screen point (sx, sy) in place. */
export function zoomAt(z: IZoom, factor: number, sx: number, sy: number): IZoom {
  const k = clampZoom(z.k * factor);
  const gx = (sx - z.x) / z.k;
  const gy = (sy - z.y) / z.k;
  return { k, x: sx - gx * k, y: sy - gy * k };
}

/**
 * The zoom factor of one wheel event (ctrl/⌘ + wheel, or a pinch): by pixels, lines or pages,
 * as the browser reports the delta.
 */
export function wheelFactor(deltaY: number, deltaMode: number): number {
  const unit = deltaMode === 1 ? 0.05 : deltaMode === 2 ? 1 : 0.0025;
  return Math.exp(-deltaY * unit);
}

/** Where a graph point is on screen, in viewport pixels. */
export function toScreen(z: IZoom, x: number, y: number): [number, number] {
  return [x * z.k + z.x, y * z.k + z.y];
}

/** At scale `k`, the zoom that puts the graph point (x, y) at the screen point `at`. */
export function pinAt(x: number, y: number, at: [number, number], k: number): IZoom {
  return { k, x: at[0] - x * k, y: at[1] - y * k };
}

/**
 * The zoom that centres `box` in a viewport of `[w, h]`, at scale `k` or 1:1 where `k` is too
 * small to read. `covered`: px on the right hidden by the details panel (0: none); the box is
 * centred in what it leaves visible unless it covers most of the viewport.
 */
export function centerZoom(box: IBox, [w, h]: [number, number], k: number, covered: number): IZoom {
  const scale = k < READABLE_ZOOM ? 1 : k;
  const cx = covered > 0 && covered < w * 0.7 ? (w - covered) / 2 : w / 2;
  return { k: scale, x: cx - (box.x + box.w / 2) * scale, y: h / 2 - (box.y + box.h / 2) * scale };
}

/** The stage's SVG transform. */
export function transformOf(z: IZoom): string {
  return `translate(${z.x.toFixed(1)},${z.y.toFixed(1)}) scale(${z.k.toFixed(4)})`;
}
