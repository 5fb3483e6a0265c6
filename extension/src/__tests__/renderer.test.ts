/** The renderer JupyterLab calls: bad payloads show a visible message; good ones draw, in place. */
import { GraphRenderer } from '../renderer';
import { MIME_TYPE } from '../protocol';
import { small } from './helpers';

jest.mock('../elk', () => {
  const ELK = require('elkjs/lib/elk.bundled.js');
  return {
    layoutGraph: async (graph: unknown) => ({ graph: await new ELK().layout(graph), ms: 1 })
  };
});

const model = (data: unknown) => ({ data: { [MIME_TYPE]: data } }) as any;

describe('GraphRenderer', () => {
  it('shows which versions it draws when the version is unknown', async () => {
    const r = new GraphRenderer(null);
    await r.renderModel(model({ ...small(), version: 7 }));
    const error = r.node.querySelector('.hl-error')!;
    expect(error.textContent).toBe(
      'this hydro_lab graph has schema version 7; this extension draws version 2: update hydro_lab or the extension'
    );
    expect(r.node.getAttribute('data-mime-type')).toBe(MIME_TYPE);
    expect(r.node.querySelector('svg')).toBeNull();
  });

  it('shows a malformed payload as an error, as text', async () => {
    const r = new GraphRenderer(null);
    await r.renderModel(model({ version: 2, title: '<script>x</script>' }));
    expect(r.node.querySelector('.hl-error')!.textContent).toBe('this hydro_lab graph is malformed: it has no views');
    await r.renderModel(model(null));
    expect(r.node.querySelector('.hl-error')!.textContent).toMatch(/not a JSON object/);
  });

  it('draws a good payload, and recovers from a bad one in place', async () => {
    const r = new GraphRenderer(null);
    await r.renderModel(model({ ...small(), version: 7 }));
    await r.renderModel(model(small()));
    expect(r.node.querySelector('.hl-error')).toBeNull();
    expect(r.node.getAttribute('data-drawn')).toBe('10');
    expect(r.node.classList.contains('hl-graph')).toBe(true);
    r.dispose();
  });
});
