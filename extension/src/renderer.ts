/**
 * The renderer JupyterLab makes for each graph output. It checks the payload (a bad one shows a
 * message, never a blank output) and loads the drawing code at the first graph. JupyterLab may
 * call `renderModel` again with a new payload (update_display): the same view redraws in place.
 */
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { ILiveSource } from './live';
import { checkPayload } from './model';
import { IPayload, MIME_TYPE } from './protocol';
import type { GraphView } from './view';

export class GraphRenderer extends Widget implements IRenderMime.IRenderer {
  private view: GraphView | null = null;

  constructor(private live: ILiveSource | null) {
    super();
    this.addClass('hl-graph');
    this.node.setAttribute('data-mime-type', MIME_TYPE);
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[MIME_TYPE];
    const problem = checkPayload(data);
    if (problem) {
      this.showError(problem);
      return;
    }
    try {
      if (!this.view) {
        const { GraphView } = await import('./view');
        if (this.isDisposed) {
          return;
        }
        this.node.replaceChildren();
        this.view = new GraphView({ host: this.node as HTMLDivElement, live: this.live });
      }
      await this.view.render(data as unknown as IPayload);
    } catch (err) {
      console.error('hydro_lab: drawing a graph failed', err);
      this.showError(`hydro_lab could not draw this graph: ${(err as Error)?.message ?? err}`);
    }
  }

  /** A visible message instead of the graph. */
  private showError(text: string): void {
    this.view?.dispose();
    this.view = null;
    const box = document.createElement('div');
    box.className = 'hl-error';
    box.textContent = text;
    this.node.replaceChildren(box);
    this.node.setAttribute('data-drawn', '0');
  }

  dispose(): void {
    this.view?.dispose();
    this.view = null;
    super.dispose();
  }
}

/** Graph renderers, bound to a notebook's live updates or (`null`) static. */
export function rendererFactory(live: ILiveSource | null): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [MIME_TYPE],
    defaultRank: 0,
    createRenderer: () => new GraphRenderer(live)
  };
}
