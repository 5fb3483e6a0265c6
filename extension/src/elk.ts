/**
 * Where ELK runs: one Web Worker per page, shared by every graph on it, started at the first
 * layout. Where a worker cannot start (a sandboxed page), ELK runs on the main thread instead,
 * loaded only then.
 */
import { IElkNode } from './layout';

export interface ILaidOut {
  graph: IElkNode;
  /** Time ELK took. */
  ms: number;
}

type Pending = { resolve: (r: ILaidOut) => void; reject: (e: Error) => void };

let worker: Worker | null = null;
let workerFailed = false;
let nextId = 1;
const pending = new Map<number, Pending>();

function startWorker(): Worker | null {
  if (worker || workerFailed) {
    return worker;
  }
  try {
    worker = new Worker(new URL('./layout.worker.js', import.meta.url));
  } catch {
    workerFailed = true;
    return null;
  }
  worker.onmessage = (e: MessageEvent) => {
    const { id, graph, ms, error } = e.data;
    const p = pending.get(id);
    pending.delete(id);
    if (!p) {
      return;
    }
    if (error) {
      p.reject(new Error(error));
    } else {
      p.resolve({ graph, ms });
    }
  };
  worker.onerror = (e: ErrorEvent) => {
    // A worker that fails to load fails every layout waiting on it; later ones run here.
    e.preventDefault();
    workerFailed = true;
    worker?.terminate();
    worker = null;
    const waiting = [...pending.values()];
    pending.clear();
    for (const p of waiting) {
      p.reject(new Error(`the layout worker failed: ${e.message || 'it did not load'}`));
    }
  };
  return worker;
}

async function layoutHere(graph: IElkNode): Promise<ILaidOut> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const start = performance.now();
  const laid = await new ELK().layout(graph as never);
  return { graph: laid as unknown as IElkNode, ms: performance.now() - start };
}

/** Lays out an ELK graph off the main thread when it can. */
export function layoutGraph(graph: IElkNode): Promise<ILaidOut> {
  const w = startWorker();
  if (!w) {
    return layoutHere(graph);
  }
  const id = nextId++;
  return new Promise<ILaidOut>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, graph });
  }).catch(err => (workerFailed ? layoutHere(graph) : Promise.reject(err)));
}
