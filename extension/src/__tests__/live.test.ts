import { HELLO_DELAY_MS, KernelLike, LiveHub } from '../live';
import { COMM_TARGET, IUpdate } from '../protocol';

/** A kernel connection that records comms; `kernelOpens` plays the kernel opening its comm. */
function fakeKernel() {
  let target: ((comm: any, msg: any) => void) | null = null;
  const opened: { target: string; data: unknown; comm: any }[] = [];
  const makeComm = () => {
    const comm: any = {
      sent: [] as unknown[],
      onMsg: null,
      onClose: null,
      open(data: unknown) {
        opened.push({ target: COMM_TARGET, data, comm });
        return { done: Promise.resolve() };
      },
      send(data: unknown) {
        comm.sent.push(data);
      }
    };
    return comm;
  };
  const kernel: KernelLike = {
    registerCommTarget: (name: string, cb: any) => {
      expect(name).toBe(COMM_TARGET);
      target = cb;
    },
    createComm: () => makeComm()
  } as unknown as KernelLike;
  return {
    kernel,
    opened,
    kernelOpens(data?: unknown) {
      const comm = makeComm();
      target!(comm, { content: { data: data ?? {} } });
      return comm;
    }
  };
}

const update = (seq: number, extra: Partial<IUpdate> = {}): IUpdate => ({
  type: 'update',
  id: 'dep1',
  seq,
  state: 'running',
  views: { ir: { counts: { n1: seq } } },
  ...extra
});

describe('LiveHub', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('gives a new subscriber the latest update at once, then every newer one', () => {
    const k = fakeKernel();
    const hub = new LiveHub(k.kernel);
    const comm = k.kernelOpens(update(1));
    comm.onMsg({ content: { data: update(2) } });
    const seen: number[] = [];
    hub.subscribe('dep1', u => seen.push(u.seq));
    expect(seen).toEqual([2]);
    comm.onMsg({ content: { data: update(3) } });
    comm.onMsg({ content: { data: update(3) } });
    comm.onMsg({ content: { data: update(1) } });
    expect(seen).toEqual([2, 3]);
  });

  it('ignores messages that are not updates, and updates of other graphs', () => {
    const k = fakeKernel();
    const hub = new LiveHub(k.kernel);
    const comm = k.kernelOpens();
    const seen: number[] = [];
    hub.subscribe('dep1', u => seen.push(u.seq));
    comm.onMsg({ content: { data: { type: 'something else' } } });
    comm.onMsg({ content: { data: update(5, { id: 'dep2' }) } });
    expect(seen).toEqual([]);
  });

  it('stops calling a listener once it unsubscribes', () => {
    const k = fakeKernel();
    const hub = new LiveHub(k.kernel);
    const comm = k.kernelOpens();
    const seen: number[] = [];
    const off = hub.subscribe('dep1', u => seen.push(u.seq));
    comm.onMsg({ content: { data: update(1) } });
    off();
    comm.onMsg({ content: { data: update(2) } });
    expect(seen).toEqual([1]);
  });

  it('says hello on a comm of its own when the kernel has none open here (a reloaded page)', () => {
    const k = fakeKernel();
    const hub = new LiveHub(k.kernel);
    const seen: number[] = [];
    hub.subscribe('dep1', u => seen.push(u.seq));
    hub.subscribe('dep2', () => undefined);
    expect(k.opened).toEqual([]);
    jest.advanceTimersByTime(HELLO_DELAY_MS + 1);
    expect(k.opened.length).toBe(1);
    expect(k.opened[0].data).toEqual({ type: 'hello', ids: ['dep1', 'dep2'] });
    k.opened[0].comm.onMsg({ content: { data: update(7) } });
    expect(seen).toEqual([7]);
    // a later graph asks on the same comm
    hub.subscribe('dep3', () => undefined);
    jest.advanceTimersByTime(HELLO_DELAY_MS + 1);
    expect(k.opened.length).toBe(1);
    expect(k.opened[0].comm.sent).toEqual([{ type: 'hello', ids: ['dep3'] }]);
  });

  it("does not say hello when the kernel's comm is open here", () => {
    const k = fakeKernel();
    const hub = new LiveHub(k.kernel);
    k.kernelOpens();
    hub.subscribe('dep1', () => undefined);
    jest.advanceTimersByTime(HELLO_DELAY_MS + 1);
    expect(k.opened).toEqual([]);
  });

  it('stays quiet after a kernel without hydro_lab closes the hello comm', () => {
    const k = fakeKernel();
    const hub = new LiveHub(k.kernel);
    hub.subscribe('dep1', () => undefined);
    jest.advanceTimersByTime(HELLO_DELAY_MS + 1);
    k.opened[0].comm.onClose({ content: { data: {} } });
    hub.subscribe('dep2', () => undefined);
    jest.advanceTimersByTime(HELLO_DELAY_MS + 1);
    expect(k.opened.length).toBe(1);
  });
});
