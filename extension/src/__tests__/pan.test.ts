/** The pointer gestures on a viewport: drag to pan, a short press stays a click, ctrl + wheel zooms. */
import { IPanHandlers, listenPan } from '../pan';

/** jsdom has no PointerEvent: a mouse event with a pointer id stands in. */
function pointer(type: string, x: number, y: number, id = 1): MouseEvent {
  const e = new MouseEvent(type, { clientX: x, clientY: y, button: 0, bubbles: true, cancelable: true });
  Object.defineProperty(e, 'pointerId', { value: id });
  return e;
}

function setup(drawn = true) {
  const viewport = document.createElement('div');
  document.body.replaceChildren(viewport);
  const calls: string[] = [];
  const on: IPanHandlers = {
    start: () => (drawn ? [10, 20] : null),
    drag: (x, y) => calls.push(`drag ${x},${y}`),
    end: () => calls.push('end'),
    zoom: (f, sx, sy) => calls.push(`zoom ${f.toFixed(4)} at ${sx},${sy}`)
  };
  return { viewport, calls, panning: listenPan(viewport, on) };
}

describe('listenPan', () => {
  it('pans by the distance dragged, from the offset at the press', () => {
    const { viewport, calls, panning } = setup();
    viewport.dispatchEvent(pointer('pointerdown', 100, 100));
    viewport.dispatchEvent(pointer('pointermove', 130, 90));
    expect(viewport.classList.contains('hl-panning')).toBe(true);
    viewport.dispatchEvent(pointer('pointermove', 150, 80));
    viewport.dispatchEvent(pointer('pointerup', 150, 80));
    expect(calls).toEqual(['drag 40,10', 'drag 60,0', 'end']);
    expect(viewport.classList.contains('hl-panning')).toBe(false);
    // the click that ends a drag is not a click
    expect(panning.justPanned()).toBe(true);
  });

  it('leaves a press that moves less than 4 px a click', () => {
    const { viewport, calls, panning } = setup();
    viewport.dispatchEvent(pointer('pointerdown', 100, 100));
    viewport.dispatchEvent(pointer('pointermove', 102, 102));
    viewport.dispatchEvent(pointer('pointerup', 102, 102));
    expect(calls).toEqual([]);
    expect(panning.justPanned()).toBe(false);
  });

  it('ignores another pointer, and a press with nothing drawn', () => {
    const { viewport, calls } = setup();
    viewport.dispatchEvent(pointer('pointerdown', 100, 100, 1));
    viewport.dispatchEvent(pointer('pointermove', 200, 200, 2));
    expect(calls).toEqual([]);
    const empty = setup(false);
    empty.viewport.dispatchEvent(pointer('pointerdown', 100, 100));
    empty.viewport.dispatchEvent(pointer('pointermove', 200, 200));
    expect(empty.calls).toEqual([]);
  });

  it('zooms on ctrl + wheel about the pointer; a plain wheel scrolls the page', () => {
    const { viewport, calls } = setup();
    const plain = new WheelEvent('wheel', { deltaY: 100, clientX: 30, clientY: 40, cancelable: true });
    viewport.dispatchEvent(plain);
    expect(plain.defaultPrevented).toBe(false);
    expect(calls).toEqual([]);
    const ctrl = new WheelEvent('wheel', { deltaY: -100, clientX: 30, clientY: 40, ctrlKey: true, cancelable: true });
    viewport.dispatchEvent(ctrl);
    expect(ctrl.defaultPrevented).toBe(true);
    expect(calls).toEqual([`zoom ${Math.exp(0.25).toFixed(4)} at 30,40`]);
  });
});
