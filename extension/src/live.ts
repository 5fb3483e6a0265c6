/**
 * Live values from the kernel: per kernel connection one hub keeps the latest {@link IUpdate} of
 * each live graph and hands it to the renderers showing that graph. The kernel opens the
 * {@link COMM_TARGET} comm and sends updates on it; a page loaded after the kernel's comm was
 * opened says hello on a comm of its own, and the kernel answers there.
 */
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { COMM_TARGET, IHello, IUpdate } from './protocol';

export type UpdateListener = (update: IUpdate) => void;

/** What a renderer subscribes to: updates of one live graph, the latest first. */
export interface ILiveSource {
  /** Calls `listener` with the latest update of `id` (at once when there is one); returns the unsubscribe. */
  subscribe(id: string, listener: UpdateListener): () => void;
}

/** The part of a kernel connection the hub uses (a fake one in tests). */
export type KernelLike = Pick<Kernel.IKernelConnection, 'registerCommTarget' | 'createComm'> & {
  statusChanged?: Kernel.IKernelConnection['statusChanged'];
};

/** How long a renderer waits for the kernel's own comm before it says hello. */
export const HELLO_DELAY_MS = 300;

function isUpdate(data: unknown): data is IUpdate {
  const u = data as IUpdate | null;
  return (
    !!u &&
    typeof u === 'object' &&
    u.type === 'update' &&
    typeof u.id === 'string' &&
    typeof u.seq === 'number'
  );
}

/** One kernel's live updates. */
export class LiveHub implements ILiveSource {
  private latest = new Map<string, IUpdate>();
  private listeners = new Map<string, Set<UpdateListener>>();
  private comms = new Set<Kernel.IComm>();
  private ours: Kernel.IComm | null = null;
  /** The kernel closed our hello comm: it has no hydro_lab; stay quiet until it opens one. */
  private refused = false;
  private asking = new Set<string>();
  private askTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private kernel: KernelLike) {
    kernel.registerCommTarget(COMM_TARGET, (comm, msg) => {
      this.refused = false;
      this.attach(comm);
      this.receive(msg.content.data);
    });
    kernel.statusChanged?.connect((_, status) => {
      if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
        this.comms.clear();
        this.ours = null;
        this.refused = false;
      }
    });
  }

  /** Keeps an update if it is newer than the one held for its id, and passes it on. */
  receive(data: unknown): void {
    if (!isUpdate(data)) {
      return;
    }
    const held = this.latest.get(data.id);
    if (held && held.seq >= data.seq) {
      return;
    }
    this.latest.set(data.id, data);
    this.asking.delete(data.id);
    for (const listener of [...(this.listeners.get(data.id) ?? [])]) {
      try {
        listener(data);
      } catch (err) {
        console.error('hydro_lab: a live graph failed to apply an update', err);
      }
    }
  }

  subscribe(id: string, listener: UpdateListener): () => void {
    let set = this.listeners.get(id);
    if (!set) {
      set = new Set();
      this.listeners.set(id, set);
    }
    set.add(listener);
    const held = this.latest.get(id);
    if (held) {
      listener(held);
    } else {
      this.ask(id);
    }
    return () => {
      set!.delete(listener);
      if (set!.size === 0) {
        this.listeners.delete(id);
      }
    };
  }

  private attach(comm: Kernel.IComm): void {
    this.comms.add(comm);
    comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => this.receive(msg.content.data);
    comm.onClose = () => {
      this.comms.delete(comm);
      if (comm === this.ours) {
        this.ours = null;
      }
    };
  }

  /** No update for `id` yet: unless the kernel's comm is open here, ask for one (once, batched). */
  private ask(id: string): void {
    this.asking.add(id);
    if (this.askTimer === null) {
      this.askTimer = setTimeout(() => {
        this.askTimer = null;
        this.hello();
      }, HELLO_DELAY_MS);
    }
  }

  private hello(): void {
    const ids = [...this.asking].filter(id => !this.latest.has(id) && this.listeners.has(id));
    this.asking.clear();
    if (ids.length === 0 || this.refused) {
      return;
    }
    const theirs = [...this.comms].some(c => c !== this.ours);
    if (theirs) {
      return; // the kernel's comm reaches this page: its updates will come
    }
    const msg: IHello = { type: 'hello', ids };
    try {
      if (this.ours) {
        this.ours.send(msg as never);
        return;
      }
      const comm = this.kernel.createComm(COMM_TARGET);
      this.ours = comm;
      this.attach(comm);
      const onClose = comm.onClose;
      comm.onClose = (m: KernelMessage.ICommCloseMsg) => {
        // Closed by the kernel before any update: it does not serve hydro_lab graphs.
        if (comm === this.ours && ids.every(id => !this.latest.has(id))) {
          this.refused = true;
        }
        onClose(m);
      };
      const future = comm.open(msg as never);
      future.done.catch(() => undefined);
    } catch {
      // A kernel that cannot open comms (disposed, or a read-only connection): stay static.
      this.ours = null;
    }
  }
}

const hubs = new WeakMap<object, LiveHub>();

/** The hub of a kernel connection (made, and its comm target registered, at the first call). */
export function hubFor(kernel: KernelLike): LiveHub {
  let hub = hubs.get(kernel);
  if (!hub) {
    hub = new LiveHub(kernel);
    hubs.set(kernel, hub);
  }
  return hub;
}

/** The part of a notebook's session context the live source follows. */
export interface ISessionLike {
  session: { kernel: Kernel.IKernelConnection | null } | null;
  kernelChanged: {
    connect(slot: (sender: unknown, args: unknown) => void): unknown;
    disconnect(slot: (sender: unknown, args: unknown) => void): unknown;
  };
}

/** The live updates of whatever kernel a notebook has now (it follows kernel changes). */
export class SessionLive implements ILiveSource {
  constructor(private context: ISessionLike) {}

  subscribe(id: string, listener: UpdateListener): () => void {
    let unsubscribe: (() => void) | null = null;
    const bind = () => {
      unsubscribe?.();
      const kernel = this.context.session?.kernel ?? null;
      unsubscribe = kernel ? hubFor(kernel).subscribe(id, listener) : null;
    };
    bind();
    this.context.kernelChanged.connect(bind);
    return () => {
      this.context.kernelChanged.disconnect(bind);
      unsubscribe?.();
      unsubscribe = null;
    };
  }
}
