/**
 * One graph output on the page: it builds the skeleton (status line, toolbar, the pannable SVG,
 * the details panel, the legend) and coordinates them. It lays out (in the worker) only when
 * what is visible changes; live updates and replay steps are small edits to the drawing.
 * Loaded at the first graph, not with JupyterLab.
 */
import {
  IVisibleGraph,
  graphSignature,
  indexGraph,
  revealNode,
  searchNodes,
  summaryId,
  topLevelGroups
} from './model';
import { ILayout, Measure } from './layout';
import { IDrawn, Markers, drawGraph, svgEl } from './draw';
import { ILiveSource } from './live';
import { IGroupStatus, IOverlay, IPayload, IUpdate, LiveState, MIME_TYPE, ViewKind } from './protocol';
import { IZoom, restoreKind, saveViewState, viewStates } from './state';
import { SVG_CSS } from './svgstyle';
import { downloadPng, downloadSvg, svgText } from './export';
import { canvasMeasure } from './measure';
import { ILaidOutView, ILayoutsOf, layoutKey, layoutOf, speculate, tallHeaders } from './layoutcache';
import { centerZoom, clampZoom, fitZoom, pinAt, toScreen, transformOf, viewportHeight, zoomAt } from './zoom';
import { Action, IToolbar, buildToolbar, paintViewButtons } from './toolbar';
import { IStatusLine, buildStatusLine, setStatusLine } from './status';
import { fillDetails } from './details';
import { paintOverlay } from './overlay';
import { paintMatches, searchCountText, stepMatch } from './search';
import { fillLegend } from './legend';
import { listenPan } from './pan';

/** One view kind's data (its graph, index and layouts: {@link ILayoutsOf}) and interaction state. */
interface IViewData extends ILayoutsOf {
  kind: ViewKind;
  signature: string;
  folded: Set<string>;
  zoom: IZoom | null;
  selection: string | null;
}

let uidCounter = 0;

function injectSvgStyle(doc: Document): void {
  if (doc.getElementById('hydro-lab-svg-style')) {
    return;
  }
  const style = doc.createElement('style');
  style.id = 'hydro-lab-svg-style';
  style.textContent = SVG_CSS;
  doc.head.appendChild(style);
}

export interface IGraphViewOptions {
  /** The element to draw into (the renderer's node); a new div when absent. */
  host?: HTMLDivElement;
  /** Live updates (none: a static graph, e.g. outside a notebook). */
  live?: ILiveSource | null;
  measure?: Measure;
}

export class GraphView {
  readonly node: HTMLDivElement;
  private doc: Document;
  private uid = `hl${++uidCounter}`;
  private measure: Measure;
  private liveSource: ILiveSource | null;
  private payload: IPayload | null = null;
  private views = new Map<ViewKind, IViewData>();
  private kind: ViewKind = 'ir';
  private disposed = false;

  // live
  private liveId: string | null = null;
  private unsubscribe: (() => void) | null = null;
  private lastSeq = -Infinity;
  private overlays: { [kind in ViewKind]?: IOverlay } = {};
  private groupStatus: { [group: string]: IGroupStatus } = {};

  // search
  private matches: string[] = [];
  private matchAt = -1;

  // DOM
  private status: IStatusLine;
  private toolbar: IToolbar;
  private noteEl: HTMLDivElement;
  private errorEl: HTMLDivElement | null = null;
  private viewport: HTMLDivElement;
  private svg: SVGSVGElement;
  private defs: SVGDefsElement;
  private stage: SVGGElement;
  private markers: Markers;
  private placeholder: HTMLDivElement;
  private details: HTMLDivElement;
  private legend: HTMLDivElement;
  private resizeObserver: ResizeObserver | null = null;
  /** The viewport's width and height in px (0: not known yet). */
  private size: [number, number] = [0, 0];

  // what is on screen
  private drawn: IDrawn | null = null;
  private drawnKind: ViewKind | null = null;
  private drawnVis: IVisibleGraph | null = null;
  private drawnLayout: ILayout | null = null;
  private layoutToken = 0;

  constructor(options: IGraphViewOptions = {}) {
    this.doc = document;
    this.liveSource = options.live ?? null;
    this.measure = options.measure ?? canvasMeasure(this.doc);
    injectSvgStyle(this.doc);
    const d = this.doc;
    const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, parent?: HTMLElement) => {
      const e = d.createElement(tag);
      e.className = cls;
      parent?.appendChild(e);
      return e;
    };
    this.node = options.host ?? d.createElement('div');
    this.node.classList.add('hl-graph');
    this.node.setAttribute('data-mime-type', MIME_TYPE);
    // data-drawn stays absent until the first drawing is on screen (browser tests wait for it)
    this.node.removeAttribute('data-drawn');

    this.status = buildStatusLine(this.node);
    this.toolbar = buildToolbar(this.node, {
      act: action => this.act(action),
      search: () => this.onSearchInput(),
      step: by => void this.searchStep(by)
    });

    this.noteEl = el('div', 'hl-note', this.node);
    this.noteEl.hidden = true;

    const body = el('div', 'hl-body', this.node);
    this.viewport = el('div', 'hl-viewport', body);
    this.viewport.style.height = '200px';
    this.svg = svgEl(d, 'svg', { class: 'hl-svg', width: '100%', height: '100%' });
    this.defs = svgEl(d, 'defs');
    this.stage = svgEl(d, 'g', { class: 'hl-stage' });
    this.svg.appendChild(this.defs);
    this.svg.appendChild(this.stage);
    this.viewport.appendChild(this.svg);
    this.markers = new Markers(d, this.defs, this.uid);
    this.placeholder = el('div', 'hl-placeholder', this.viewport);
    this.placeholder.textContent = 'laying out…';
    this.details = el('div', 'hl-details', body);
    this.details.hidden = true;
    this.legend = el('div', 'hl-legend', this.node);

    this.listen();
  }

  // -- rendering ------------------------------------------------------------------------------

  /** Shows a payload: the first, or a new one for the same output (kept in place). */
  async render(payload: IPayload): Promise<void> {
    const first = this.payload === null;
    this.payload = payload;
    const saved = payload.key ? viewStates.get(payload.key) : undefined;
    for (const kind of ['ir', 'dfir'] as ViewKind[]) {
      const graph = payload.views[kind] ?? null;
      if (!graph) {
        this.views.delete(kind);
        continue;
      }
      const signature = graphSignature(graph);
      const old = this.views.get(kind);
      const index = indexGraph(graph);
      if (old && old.signature === signature) {
        old.graph = graph;
        old.index = index;
        continue;
      }
      const restored = old
        ? restoreKind(index, { folded: [...old.folded], zoom: old.zoom, selection: old.selection })
        : restoreKind(index, saved?.views[kind]);
      this.views.set(kind, {
        kind,
        graph,
        index,
        signature,
        folded: restored.folded,
        zoom: restored.zoom,
        selection: restored.selection,
        layouts: new Map(),
        pending: new Map()
      });
    }
    if (first) {
      const wanted = saved?.view ?? payload.view;
      this.kind = wanted && this.views.has(wanted) ? wanted : 'ir';
    } else if (!this.views.has(this.kind)) {
      this.kind = 'ir';
    }
    this.toolbar.title.textContent = payload.title ?? '';
    this.toolbar.title.title = payload.title ?? '';
    this.updateToolbar();
    this.subscribeLive(payload);
    const vd = this.current();
    const dropped = vd.index.droppedEdges;
    this.noteEl.hidden = true;
    if (dropped) {
      this.showNote(`${dropped} edge${dropped === 1 ? '' : 's'} of this graph name operators it does not have; they are not drawn.`);
    }
    if (!vd.layouts.has(layoutKey(vd.folded, this.isLive())) || this.drawnKind !== this.kind) {
      await this.relayout({});
    } else {
      this.paintOverlay();
      this.paintSearch();
    }
    this.showDetails();
  }

  dispose(): void {
    this.disposed = true;
    this.layoutToken++;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.resizeObserver?.disconnect();
  }

  private current(): IViewData {
    return this.views.get(this.kind)!;
  }

  private isLive(): boolean {
    return !!this.payload?.live;
  }

  /** Lays out what is visible now (or takes a kept layout of these folds) and draws it. */
  private async relayout(opts: { anchor?: { group: string; at: [number, number] }; center?: string; fit?: boolean }): Promise<void> {
    const token = ++this.layoutToken;
    const vd = this.current();
    let laid: ILaidOutView | undefined = vd.layouts.get(layoutKey(vd.folded, this.isLive()));
    if (!laid) {
      const operators = vd.index.nodes.size;
      this.setBusy(`laying out ${operators} operator${operators === 1 ? '' : 's'}…`);
      try {
        laid = await layoutOf(vd, vd.folded, this.isLive(), this.measure);
      } catch (err) {
        if (token === this.layoutToken) {
          this.setBusy(null);
          this.showError(`hydro_lab could not lay out this graph: ${(err as Error).message ?? err}`);
        }
        return;
      }
      if (token !== this.layoutToken || this.disposed) {
        return; // a newer layout was asked for meanwhile (this one is kept for later)
      }
      this.setBusy(null);
    }
    if (token !== this.layoutToken || this.disposed) {
      return;
    }
    this.draw(vd, laid.vis, laid.layout, laid.layoutMs);
    if (opts.anchor) {
      this.keepAnchor(opts.anchor.group, opts.anchor.at);
    } else if (opts.fit) {
      vd.zoom = null;
    }
    this.sizeViewport();
    if (opts.center) {
      this.centerOn(opts.center);
    }
    this.applyZoom();
    this.saveState();
    if (!this.disposed) {
      speculate(vd, vd.folded, this.isLive(), this.measure);
    }
  }

  private draw(vd: IViewData, vis: IVisibleGraph, layout: ILayout, layoutMs: number): void {
    const start = performance.now();
    const drawn = drawGraph(this.doc, vis, layout, {
      markers: this.markers,
      tallHeaders: tallHeaders(vd.graph, this.isLive())
    });
    this.stage.replaceChildren(drawn.scene);
    this.drawn = drawn;
    this.drawnKind = vd.kind;
    this.drawnVis = vis;
    this.drawnLayout = layout;
    this.placeholder.hidden = true;
    this.errorEl?.remove();
    this.errorEl = null;
    this.paintOverlay();
    this.paintSelection();
    this.paintSearch();
    // data-view and data-drawn change together, when the drawing is on screen
    this.node.setAttribute('data-view', vd.kind);
    this.node.setAttribute('data-drawn', String(drawn.operators));
    this.node.setAttribute('data-summaries', String(drawn.nodes.size - drawn.operators));
    this.node.setAttribute('data-layout-ms', String(Math.round(layoutMs)));
    this.node.setAttribute('data-draw-ms', String(Math.round(performance.now() - start)));
    fillLegend(this.legend, vd.kind, vd.graph);
    try {
      performance.mark('hydro-lab:drawn');
    } catch {
      // performance.mark is missing in some test environments
    }
  }

  // -- zoom and pan ---------------------------------------------------------------------------

  /**
   * The viewport's size, remembered (the resize observer and the height we set keep it): reading
   * it from the DOM right after drawing would force a layout of the whole new SVG in that task.
   */
  private viewportSize(): [number, number] {
    if (this.size[0] === 0) {
      this.size = [this.viewport.clientWidth, this.viewport.clientHeight];
    }
    return this.size;
  }

  /** The viewport grows with the graph (at its fitted width), up to a height (see {@link viewportHeight}). */
  private sizeViewport(): void {
    const layout = this.drawnLayout;
    const [width] = this.viewportSize();
    if (!layout || width === 0) {
      return;
    }
    const h = viewportHeight(layout, width);
    this.viewport.style.height = `${h}px`;
    this.size = [width, h];
  }

  private zoomNow(): IZoom {
    return this.current().zoom ?? fitZoom(this.drawnLayout, this.viewportSize());
  }

  private applyZoom(): void {
    this.stage.setAttribute('transform', transformOf(this.zoomNow()));
  }

  private setZoom(z: IZoom): void {
    this.current().zoom = { k: clampZoom(z.k), x: z.x, y: z.y };
    this.applyZoom();
    this.saveState();
  }

  /** Where a group (box or summary) is on screen: its top-left, in viewport pixels. */
  private screenOf(group: string): [number, number] | null {
    const layout = this.drawnLayout;
    const box = layout?.groups.get(group) ?? layout?.nodes.get(summaryId(group));
    return box ? toScreen(this.zoomNow(), box.x, box.y) : null;
  }

  /** After a fold or unfold, the group stays where it was on screen. */
  private keepAnchor(group: string, at: [number, number]): void {
    const layout = this.drawnLayout!;
    const box = layout.groups.get(group) ?? layout.nodes.get(summaryId(group));
    const vd = this.current();
    if (!box) {
      return;
    }
    vd.zoom = pinAt(box.x, box.y, at, (vd.zoom ?? fitZoom(this.drawnLayout, this.viewportSize())).k);
  }

  private centerOn(id: string): void {
    const box = this.drawnLayout?.nodes.get(id);
    if (!box) {
      return;
    }
    this.sizeViewport();
    const size = this.viewportSize();
    const vd = this.current();
    const k = (vd.zoom ?? fitZoom(this.drawnLayout, size)).k;
    // With the details panel open on the right, centre in what it leaves visible.
    const covered = this.details.hidden ? 0 : this.details.offsetWidth + 16;
    vd.zoom = centerZoom(box, size, k, covered);
  }

  // -- events ---------------------------------------------------------------------------------

  private listen(): void {
    const panning = listenPan(this.viewport, {
      start: () => {
        if (!this.drawn) {
          return null;
        }
        const z = this.zoomNow();
        return [z.x, z.y];
      },
      drag: (x, y) => {
        this.current().zoom = { k: this.zoomNow().k, x, y };
        this.applyZoom();
      },
      end: () => this.saveState(),
      zoom: (factor, sx, sy) => this.setZoom(zoomAt(this.zoomNow(), factor, sx, sy))
    });
    this.node.addEventListener('keydown', e => {
      if (e.key === 'Escape' && !this.details.hidden && e.target !== this.toolbar.searchInput) {
        this.select(null);
      }
    });
    this.svg.addEventListener('click', e => {
      if (panning.justPanned()) {
        return;
      }
      this.onClick(e.target as Element);
    });
    if (typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver(entries => {
        const box = entries[entries.length - 1].contentRect;
        const widthChanged = Math.round(box.width) !== this.size[0];
        this.size = [Math.round(box.width), Math.round(box.height)];
        if (widthChanged) {
          this.sizeViewport();
        }
        this.applyZoom();
      });
      this.resizeObserver.observe(this.viewport);
    }
  }

  private onClick(target: Element): void {
    const toggle = target.closest('.hl-fold-toggle');
    if (toggle) {
      const group = toggle.closest('.hl-group')?.getAttribute('data-id');
      if (group) {
        void this.setFolded(group, true);
      }
      return;
    }
    const node = target.closest('.hl-node');
    if (node) {
      const group = node.getAttribute('data-group');
      if (group !== null) {
        // A folded group's summary unfolds on click.
        void this.setFolded(group, false);
      } else {
        this.select(node.getAttribute('data-id'));
      }
      return;
    }
    this.select(null);
  }

  private act(action: Action): void {
    switch (action) {
      case 'view-ir':
        void this.setView('ir');
        break;
      case 'view-dfir':
        void this.setView('dfir');
        break;
      case 'zoom-in':
      case 'zoom-out': {
        const [w, h] = this.viewportSize();
        this.setZoom(zoomAt(this.zoomNow(), action === 'zoom-in' ? 1.25 : 0.8, w / 2, h / 2));
        break;
      }
      case 'fit':
        this.current().zoom = null;
        this.applyZoom();
        this.saveState();
        break;
      case 'fold-all':
        this.current().folded = new Set(topLevelGroups(this.current().index));
        void this.relayout({ fit: true });
        break;
      case 'unfold-all':
        this.current().folded = new Set();
        void this.relayout({ fit: true });
        break;
      case 'export-svg':
        this.exportAs('svg');
        break;
      case 'export-png':
        this.exportAs('png');
        break;
    }
  }

  private async setFolded(group: string, folded: boolean): Promise<void> {
    const vd = this.current();
    if (vd.folded.has(group) === folded) {
      return;
    }
    const at = this.screenOf(group);
    if (folded) {
      vd.folded.add(group);
    } else {
      vd.folded.delete(group);
    }
    await this.relayout(at ? { anchor: { group, at } } : {});
  }

  private async setView(kind: ViewKind): Promise<void> {
    if (kind === 'dfir' && !this.views.has('dfir')) {
      this.showNote(this.payload?.notes?.dfir ?? 'this graph has no DFIR view');
      return;
    }
    this.noteEl.hidden = true;
    if (kind === this.kind) {
      return;
    }
    this.kind = kind;
    this.select(this.current().selection, false);
    this.updateToolbar();
    this.onSearchInput();
    await this.relayout({});
  }

  private updateToolbar(): void {
    const missingDfir = this.views.has('dfir') ? null : this.payload?.notes?.dfir ?? 'this graph has none';
    paintViewButtons(this.toolbar, this.kind, missingDfir);
  }

  private setBusy(text: string | null): void {
    const busy = this.toolbar.busy;
    busy.hidden = text === null;
    busy.textContent = text ?? '';
    if (text !== null && !this.drawn) {
      this.placeholder.textContent = text;
    }
  }

  private showNote(text: string): void {
    this.noteEl.textContent = text;
    this.noteEl.hidden = false;
  }

  private showError(text: string): void {
    if (!this.errorEl) {
      this.errorEl = this.doc.createElement('div');
      this.errorEl.className = 'hl-error';
      this.noteEl.after(this.errorEl);
    }
    this.errorEl.textContent = text;
    this.placeholder.hidden = true;
  }

  private saveState(): void {
    const key = this.payload?.key;
    if (key) {
      saveViewState(key, this.kind, this.views);
    }
  }

  // -- selection and details ------------------------------------------------------------------

  private select(id: string | null, save = true): void {
    const vd = this.current();
    vd.selection = id && vd.index.nodes.has(id) ? id : null;
    this.paintSelection();
    this.showDetails();
    if (save) {
      this.saveState();
    }
  }

  private paintSelection(): void {
    if (!this.drawn) {
      return;
    }
    const sel = this.drawnKind === this.kind ? this.current().selection : null;
    for (const [id, g] of this.drawn.nodes) {
      g.classList.toggle('hl-selected', id === sel);
    }
  }

  private showDetails(): void {
    const vd = this.current();
    const node = vd.selection ? vd.index.nodes.get(vd.selection) : undefined;
    const context = {
      kind: vd.kind,
      index: vd.index,
      overlay: this.overlays[this.kind],
      replay: this.payload?.live?.state === 'replay',
      irIndex: this.views.get('ir')?.index
    };
    fillDetails(this.details, node, context, {
      close: () => this.select(null),
      showInIr: id => void this.showInIr(id)
    });
  }

  private async showInIr(id: string): Promise<void> {
    await this.setView('ir');
    await this.reveal(id);
    this.select(id);
  }

  // -- search ---------------------------------------------------------------------------------

  private onSearchInput(): void {
    const q = this.toolbar.searchInput.value;
    this.matches = q.trim() ? searchNodes(this.current().index, q) : [];
    this.matchAt = -1;
    this.paintSearch();
  }

  private paintSearch(): void {
    const n = this.matches.length;
    this.toolbar.searchCount.textContent = searchCountText(this.toolbar.searchInput.value, n, this.matchAt);
    this.toolbar.searchCount.setAttribute('data-count', String(n));
    if (this.drawn && this.drawnVis) {
      paintMatches(this.drawn, this.drawnVis, this.matches, this.matchAt >= 0 ? this.matches[this.matchAt] : null);
    }
  }

  /** Brings the next (or previous) match into view: its folded groups unfold, it is centred and lit. */
  private async searchStep(step: number): Promise<void> {
    if (!this.matches.length) {
      this.onSearchInput();
      if (!this.matches.length) {
        return;
      }
    }
    this.matchAt = stepMatch(this.matchAt, step, this.matches.length);
    await this.reveal(this.matches[this.matchAt]);
    this.paintSearch();
  }

  private async reveal(id: string): Promise<void> {
    const vd = this.current();
    const folded = revealNode(vd.index, vd.folded, id);
    if (folded.size !== vd.folded.size) {
      vd.folded = folded;
      await this.relayout({ center: id });
    } else {
      this.centerOn(id);
      this.applyZoom();
      this.saveState();
    }
  }

  // -- live -----------------------------------------------------------------------------------

  private subscribeLive(payload: IPayload): void {
    const live = payload.live ?? null;
    const id = live?.id ?? null;
    if (live) {
      this.status.el.hidden = false;
      if (this.lastSeq === -Infinity || id !== this.liveId) {
        this.setStatus(live.state, live.status ?? '', null);
      }
    } else {
      this.status.el.hidden = true;
      this.node.removeAttribute('data-state');
    }
    if (id === this.liveId) {
      return;
    }
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.liveId = id;
    this.lastSeq = -Infinity;
    this.overlays = {};
    this.groupStatus = {};
    if (id && this.liveSource) {
      this.unsubscribe = this.liveSource.subscribe(id, u => this.update(u));
    }
  }

  /** An update from the kernel: newer ones only, applied as small edits. */
  update(u: IUpdate): void {
    if (this.disposed || u.id !== this.liveId || u.seq <= this.lastSeq) {
      return;
    }
    this.lastSeq = u.seq;
    this.setStatus(u.state, u.status ?? this.status.text.textContent ?? '', u.error ?? null);
    for (const kind of ['ir', 'dfir'] as ViewKind[]) {
      const o = u.views?.[kind];
      if (o) {
        this.overlays[kind] = o;
      }
    }
    if (u.groups) {
      this.groupStatus = { ...this.groupStatus, ...u.groups };
    }
    this.paintOverlay();
    if (this.current().selection) {
      this.showDetails();
    }
  }

  private setStatus(state: LiveState, status: string, error: string | null): void {
    setStatusLine(this.status, state, status, error);
    this.node.setAttribute('data-state', state);
  }

  /** Counts, rates, lit nodes and cluster membership on the drawing (no layout). */
  private paintOverlay(): void {
    const { drawn, drawnVis: vis, drawnLayout: layout, drawnKind: kind } = this;
    if (!drawn || !vis || !layout || kind === null) {
      return;
    }
    const drawing = { drawn, vis, layout, markers: this.markers, svg: this.svg };
    paintOverlay(drawing, this.overlays[kind], this.groupStatus, this.views.get(kind)?.index);
  }

  // -- export ---------------------------------------------------------------------------------

  private exportAs(format: 'svg' | 'png'): void {
    const layout = this.drawnLayout;
    if (!this.drawn || !layout) {
      return;
    }
    const text = svgText(this.defs, this.drawn.scene, layout.width, layout.height);
    const title = `${this.payload?.title || 'graph'}-${this.kind}`;
    if (format === 'svg') {
      downloadSvg(text, title);
    } else {
      downloadPng(text, layout.width, layout.height, title).catch(err =>
        this.showNote(`PNG export failed: ${(err as Error).message ?? err}`)
      );
    }
  }
}
