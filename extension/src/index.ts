/**
 * The JupyterLab plugin: hydro_lab graph outputs are drawn in every notebook by a renderer bound
 * to that notebook's kernel (for live values), and page-wide by one without a kernel (a static
 * graph elsewhere). Only the payload check and the comm hub load with JupyterLab.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { SessionLive, hubFor } from './live';
import { rendererFactory } from './renderer';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'hydro-lab:graph',
  description: "Draws hydro_lab's graphs: folded, searchable, live.",
  autoStart: true,
  requires: [IRenderMimeRegistry],
  activate: (app: JupyterFrontEnd, rendermime: IRenderMimeRegistry) => {
    rendermime.addFactory(rendererFactory(null), 0);
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (panel: NotebookPanel) => {
        const context = panel.sessionContext;
        // Each notebook has its own rendermime (a clone of the page's): its graphs, and those of
        // ipywidgets Output widgets in it, get its kernel's updates.
        panel.content.rendermime.addFactory(rendererFactory(new SessionLive(context)), 0);
        // The comm target is registered on every kernel the notebook gets, before any graph
        // asks, so updates sent before an output is drawn are kept.
        const watch = () => {
          const kernel = context.session?.kernel;
          if (kernel) {
            hubFor(kernel);
          }
        };
        watch();
        context.kernelChanged.connect(watch);
        panel.disposed.connect(() => context.kernelChanged.disconnect(watch));
      }
    });
  }
};

export default plugin;
