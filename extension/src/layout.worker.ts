/**
 * ELK in a Web Worker: the layout of a large graph never blocks the page.
 * Receives `{id, graph}` (an ELK graph), answers `{id, graph, ms}` (laid out, and how long ELK
 * took) or `{id, error}`.
 */
import ELK from 'elkjs/lib/elk.bundled.js';

const elk = new ELK();
const ctx = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage: (msg: unknown) => void;
};

// One layout at a time, so each answer's `ms` is its own layout's time.
let queue: Promise<void> = Promise.resolve();

ctx.onmessage = (e: MessageEvent) => {
  const { id, graph } = e.data;
  queue = queue.then(() => {
    const start = performance.now();
    return elk.layout(graph).then(
      laid => ctx.postMessage({ id, graph: laid, ms: performance.now() - start }),
      (err: unknown) => ctx.postMessage({ id, error: String(err) })
    );
  });
};
