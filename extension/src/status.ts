/**
 * The status line above a live graph: the deployment's state, the kernel's one line about it,
 * and a failed deployment's error under them. A static graph keeps it hidden.
 */
import { LiveState } from './protocol';

export interface IStatusLine {
  /** The line (`data-state` holds the state). */
  el: HTMLDivElement;
  state: HTMLSpanElement;
  text: HTMLSpanElement;
  error: HTMLDivElement;
}

/** Builds the (hidden) status line at the end of `parent`. */
export function buildStatusLine(parent: HTMLElement): IStatusLine {
  const d = parent.ownerDocument;
  const el = d.createElement('div');
  el.className = 'hl-status';
  parent.appendChild(el);
  const state = d.createElement('span');
  state.className = 'hl-state';
  el.appendChild(state);
  el.appendChild(d.createTextNode(' '));
  const text = d.createElement('span');
  text.className = 'hl-status-text';
  el.appendChild(text);
  const error = d.createElement('div');
  error.className = 'hl-status-error';
  el.appendChild(error);
  el.hidden = true;
  return { el, state, text, error };
}

/** Shows `state` and `status`; the error only while the state is `failed`. */
export function setStatusLine(line: IStatusLine, state: LiveState, status: string, error: string | null): void {
  line.el.hidden = false;
  line.el.setAttribute('data-state', state);
  line.state.textContent = state;
  line.text.textContent = status;
  const failed = state === 'failed';
  line.error.hidden = !(failed && error);
  line.error.textContent = failed && error ? error : '';
}
