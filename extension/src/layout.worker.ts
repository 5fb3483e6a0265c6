/**
 * ELK in a Web Worker: the layout of a large graph never blocks the page.
 * Receives `{id, graph}` (an ELK graph), answers `{id, graph, ms}` (laid out, and how long ELK
 * took) or `{id, error}`. After its first layout it lays out a made-up graph once while idle:
 * ELK's code runs several times faster once the JavaScript engine has optimised it, and the first
 * big layout (an "unfold all") should not pay for that.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import { IElkNode, rootOptions } from './layout';

const elk = new ELK();
const ctx = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage: (msg: unknown) => void;
};

// One layout at a time, so each answer's `ms` is its own layout's time.
let queue: Promise<void> = Promise.resolve();
let warmed = false;

/** Boxes in boxes with a few hundred edges between them: what an unfolded flow looks like. */
function warmUpGraph(): IElkNode {
  const boxes: IElkNode[] = [];
  const edges = [];
  for (let b = 0; b < 3; b++) {
    const inner: IElkNode = { id: `t${b}`, children: [], layoutOptions: { 'elk.padding': '[top=26,left=10,bottom=10,right=10]' } };
    const box: IElkNode = { id: `b${b}`, children: [inner], layoutOptions: { 'elk.padding': '[top=26,left=10,bottom=10,right=10]' } };
    for (let i = 0; i < 40; i++) {
      (i % 3 === 0 ? inner : box).children!.push({ id: `n${b}_${i}`, width: 60 + (i % 7) * 20, height: 26 });
      if (i > 0) {
        edges.push({ id: `e${b}_${i}`, sources: [`n${b}_${i - 1}`], targets: [`n${b}_${i}`] });
      }
      if (i > 4 && i % 4 === 0) {
        edges.push({ id: `x${b}_${i}`, sources: [`n${b}_${i - 5}`], targets: [`n${b}_${i}`] });
      }
    }
    if (b > 0) {
      edges.push({ id: `net${b}`, sources: [`n${b - 1}_39`], targets: [`n${b}_0`] });
    }
    boxes.push(box);
  }
  return { id: 'root', layoutOptions: rootOptions(120), children: boxes, edges };
}

ctx.onmessage = (e: MessageEvent) => {
  const { id, graph } = e.data;
  queue = queue.then(() => {
    const start = performance.now();
    return elk.layout(graph).then(
      laid => ctx.postMessage({ id, graph: laid, ms: performance.now() - start }),
      (err: unknown) => ctx.postMessage({ id, error: String(err) })
    );
  });
  if (!warmed) {
    warmed = true;
    queue = queue.then(() => elk.layout(warmUpGraph() as never).then(() => undefined, () => undefined));
  }
};
