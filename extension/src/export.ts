/**
 * The current drawing as a file: an SVG that stands alone (the drawing's CSS inlined, no
 * transform, sized to the graph) and a PNG of it at twice the scale.
 */
import { SVG_CSS } from './svgstyle';
import { SVG_NS } from './draw';

const PAD = 12;
/** Canvas limits browsers keep to (per side, and in pixels overall). */
const MAX_SIDE = 16000;
const MAX_PIXELS = 120e6;

/** A file name from a title: letters, digits, `-`, `_` and `.`. */
export function fileName(title: string, ext: string): string {
  const base = (title || 'graph').replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'graph';
  return `${base}.${ext}`;
}

/** The SVG text of a drawing: `defs` and `content` cloned into a fresh, self-contained SVG. */
export function svgText(
  defs: SVGDefsElement,
  content: SVGGElement,
  width: number,
  height: number
): string {
  const doc = content.ownerDocument;
  const w = Math.ceil(width + 2 * PAD);
  const h = Math.ceil(height + 2 * PAD);
  const svg = doc.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'hl-svg');
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.setAttribute('viewBox', `${-PAD} ${-PAD} ${w} ${h}`);
  const style = doc.createElementNS(SVG_NS, 'style');
  style.textContent = SVG_CSS;
  svg.appendChild(style);
  const bg = doc.createElementNS(SVG_NS, 'rect');
  for (const [k, v] of Object.entries({ x: -PAD, y: -PAD, width: w, height: h, fill: '#ffffff' })) {
    bg.setAttribute(k, String(v));
  }
  svg.appendChild(bg);
  svg.appendChild(defs.cloneNode(true));
  const body = content.cloneNode(true) as SVGGElement;
  body.removeAttribute('transform');
  svg.appendChild(body);
  return new XMLSerializer().serializeToString(svg);
}

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function downloadSvg(text: string, title: string): void {
  download(new Blob([text], { type: 'image/svg+xml' }), fileName(title, 'svg'));
}

/** The PNG scale for a drawing: 2, less for a drawing too big for a canvas. */
export function pngScale(width: number, height: number): number {
  const w = width + 2 * PAD;
  const h = height + 2 * PAD;
  return Math.min(2, MAX_SIDE / w, MAX_SIDE / h, Math.sqrt(MAX_PIXELS / (w * h)));
}

export async function downloadPng(text: string, width: number, height: number, title: string): Promise<void> {
  const scale = pngScale(width, height);
  const w = Math.ceil(width + 2 * PAD);
  const h = Math.ceil(height + 2 * PAD);
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('the SVG did not load as an image'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.floor(w * scale);
    canvas.height = Math.floor(h * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) {
      throw new Error('no 2D canvas in this browser');
    }
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.drawImage(img, 0, 0, w, h);
    const blob = await new Promise<Blob | null>(resolve => canvas.toBlob(resolve, 'image/png'));
    if (!blob) {
      throw new Error('the canvas gave no PNG');
    }
    download(blob, fileName(title, 'png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}
