/** The live status line: hidden until used, the state and line shown, the error only when failed. */
import { buildStatusLine, setStatusLine } from '../status';

describe('status line', () => {
  it('starts hidden, with its parts in order', () => {
    const parent = document.createElement('div');
    const line = buildStatusLine(parent);
    expect(parent.firstElementChild).toBe(line.el);
    expect(line.el.hidden).toBe(true);
    expect([...line.el.children].map(c => c.className)).toEqual(['hl-state', 'hl-status-text', 'hl-status-error']);
  });

  it('shows the state and the line, and the error only while failed', () => {
    const line = buildStatusLine(document.createElement('div'));
    setStatusLine(line, 'running', 'running · 3 instances', 'ignored while running');
    expect(line.el.hidden).toBe(false);
    expect(line.el.getAttribute('data-state')).toBe('running');
    expect(line.el.textContent).toBe('running running · 3 instances');
    expect(line.error.hidden).toBe(true);
    setStatusLine(line, 'failed', 'stopped', 'ZeroDivisionError in map');
    expect(line.el.getAttribute('data-state')).toBe('failed');
    expect(line.error.hidden).toBe(false);
    expect(line.error.textContent).toBe('ZeroDivisionError in map');
    setStatusLine(line, 'failed', 'stopped', null);
    expect(line.error.hidden).toBe(true);
    expect(line.error.textContent).toBe('');
  });
});
