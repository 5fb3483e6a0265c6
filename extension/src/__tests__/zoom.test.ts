/** The zoom math: the viewport's height, the fitted zoom, zooming about a point, centring. */
import {
  FIT_PAD,
  MAX_VIEWPORT_HEIGHT,
  MAX_ZOOM,
  MIN_VIEWPORT_HEIGHT,
  MIN_ZOOM,
  centerZoom,
  clampZoom,
  fitZoom,
  pinAt,
  toScreen,
  transformOf,
  viewportHeight,
  wheelFactor,
  zoomAt
} from '../zoom';

describe('viewportHeight', () => {
  it('is the graph height at its fitted width plus the padding', () => {
    expect(viewportHeight({ width: 400, height: 300 }, 1000)).toBe(300 + 2 * FIT_PAD);
    // a graph twice as wide as the viewport is drawn at half its height
    expect(viewportHeight({ width: 2 * (800 - 2 * FIT_PAD), height: 800 }, 800)).toBe(400 + 2 * FIT_PAD);
  });

  it('stays within its bounds', () => {
    expect(viewportHeight({ width: 100, height: 20 }, 1000)).toBe(MIN_VIEWPORT_HEIGHT);
    expect(viewportHeight({ width: 100, height: 5000 }, 1000)).toBe(MAX_VIEWPORT_HEIGHT);
  });
});

describe('fitZoom', () => {
  it('is 1:1 at the padding before anything is drawn or measured', () => {
    expect(fitZoom(null, [800, 600])).toEqual({ k: 1, x: FIT_PAD, y: FIT_PAD });
    expect(fitZoom({ width: 100, height: 100 }, [0, 0])).toEqual({ k: 1, x: FIT_PAD, y: FIT_PAD });
  });

  it('centres a small graph without enlarging it', () => {
    expect(fitZoom({ width: 200, height: 100 }, [800, 600])).toEqual({ k: 1, x: 300, y: 250 });
  });

  it('shrinks a large graph to the tighter side, top-aligned at the padding when it fills the height', () => {
    const z = fitZoom({ width: 1000, height: 2000 }, [824, 624]);
    expect(z.k).toBeCloseTo(0.3);
    expect(z.x).toBeCloseTo((824 - 300) / 2);
    expect(z.y).toBeCloseTo(FIT_PAD);
  });

  it('never goes below the smallest zoom', () => {
    expect(fitZoom({ width: 1e6, height: 10 }, [800, 600]).k).toBe(MIN_ZOOM);
  });
});

describe('zoomAt', () => {
  it('keeps the graph point under the pointer in place', () => {
    const z = { k: 0.5, x: 10, y: 20 };
    const [sx, sy] = [210, 120];
    const graphPoint = [(sx - z.x) / z.k, (sy - z.y) / z.k];
    const next = zoomAt(z, 2, sx, sy);
    expect(next.k).toBe(1);
    expect(toScreen(next, graphPoint[0], graphPoint[1])).toEqual([sx, sy]);
  });

  it('clamps the scale', () => {
    expect(zoomAt({ k: 3, x: 0, y: 0 }, 10, 0, 0).k).toBe(MAX_ZOOM);
    expect(zoomAt({ k: 0.05, x: 0, y: 0 }, 0.1, 0, 0).k).toBe(MIN_ZOOM);
    expect(clampZoom(1.5)).toBe(1.5);
  });
});

describe('pinAt and toScreen', () => {
  it('put a graph point at a screen point', () => {
    const z = pinAt(40, 60, [100, 90], 0.5);
    expect(z).toEqual({ k: 0.5, x: 80, y: 60 });
    expect(toScreen(z, 40, 60)).toEqual([100, 90]);
  });
});

describe('centerZoom', () => {
  const box = { x: 100, y: 200, w: 50, h: 20 };

  it('centres the box, at 1:1 when the zoom is too small to read', () => {
    expect(centerZoom(box, [800, 400], 0.3, 0)).toEqual({ k: 1, x: 400 - 125, y: 200 - 210 });
    expect(centerZoom(box, [800, 400], 2, 0)).toEqual({ k: 2, x: 400 - 250, y: 200 - 420 });
  });

  it('centres in what the details panel leaves visible, unless it covers most of the view', () => {
    expect(centerZoom(box, [800, 400], 1, 300).x).toBe(250 - 125);
    expect(centerZoom(box, [800, 400], 1, 600).x).toBe(400 - 125);
  });
});

describe('transformOf and wheelFactor', () => {
  it('writes the stage transform', () => {
    expect(transformOf({ k: 0.123456, x: 1.26, y: -3 })).toBe('translate(1.3,-3.0) scale(0.1235)');
  });

  it('zooms in on a wheel up, by pixels, lines or pages', () => {
    expect(wheelFactor(-100, 0)).toBeCloseTo(Math.exp(0.25));
    expect(wheelFactor(3, 1)).toBeCloseTo(Math.exp(-0.15));
    expect(wheelFactor(1, 2)).toBeCloseTo(Math.exp(-1));
    expect(wheelFactor(0, 0)).toBe(1);
  });
});
