/**
 * The contract between the kernel and this renderer, mirrored in
 * `hydro_lab/viz/protocol.py` (one contract, two readers: the fixtures in
 * `tests/fixtures/mime/` are read by pytest and by the Jest tests here).
 *
 * A graph output carries an {@link IPayload} under {@link MIME_TYPE}. A live
 * graph (a deployment's, or a replay's) also names a {@link ILive.id}; the
 * kernel sends {@link IUpdate} messages for it on the {@link COMM_TARGET} comm
 * (small overlays of counts and rates, never the graph again).
 */

/** The mime type of a hydro_lab graph output. */
export const MIME_TYPE = 'application/vnd.hydro-lab.graph+json';

/** The payload versions this renderer draws. */
export const SCHEMA_VERSIONS: readonly number[] = [2];

/** The comm target both sides register: live updates travel on it. */
export const COMM_TARGET = 'hydro_lab.graph';

/** The two views of one flow. */
export type ViewKind = 'ir' | 'dfir';

/** A graph output: one flow, its IR view and (when it compiles) its DFIR view. */
export interface IPayload {
  version: number;
  title: string;
  /** The view to open with. */
  view: ViewKind;
  views: { ir: IGraph; dfir?: IGraph | null };
  /** Why a view is missing or stale, by view (e.g. "the flow does not compile yet: ..."). */
  notes?: { [view: string]: string };
  /**
   * The renderer keeps its view state (zoom, pan, folds, view kind) per key,
   * so a graph re-rendered under the same key (a re-run `%%hydro` cell) keeps them.
   */
  key?: string | null;
  /** Present on a live graph: updates for `id` arrive on the comm. */
  live?: ILive | null;
}

/** What makes a graph live. */
export interface ILive {
  id: string;
  /** The state when the payload was made (see {@link IUpdate.state}). */
  state: LiveState;
  /** One line shown above the graph until the first update. */
  status?: string;
}

export type LiveState =
  | 'created'
  | 'running'
  | 'paused'
  | 'stopped'
  | 'failed'
  | 'replay';

/** One view: groups (nested boxes), operators and edges. */
export interface IGraph {
  kind: ViewKind;
  groups: IGroup[];
  nodes: INode[];
  edges: IEdge[];
}

export type GroupKind =
  | 'process'
  | 'cluster'
  | 'external'
  | 'tick'
  | 'atomic'
  | 'stratum'
  | 'subgraph';

/** A box: a location (process, cluster, external), a tick or atomic region
 * inside one, or in the DFIR view a stratum or subgraph of a location. */
export interface IGroup {
  id: string;
  label: string;
  kind: GroupKind;
  parent: string | null;
  /** A cluster's member count, when it is known (a deployment). */
  members?: number | null;
  /** DFIR view, a subgraph: its generated Python. */
  code?: string | null;
}

/** Node types, for colour: IR (source ... port) and DFIR (pull, push, handoff). */
export type NodeType =
  | 'source'
  | 'transform'
  | 'join'
  | 'aggregation'
  | 'network'
  | 'sink'
  | 'tee'
  | 'nondet'
  | 'port'
  | 'pull'
  | 'push'
  | 'handoff';

/** An operator. */
export interface INode {
  id: string;
  /** Short label, drawn in the node. */
  label: string;
  /** Full label, shown in the details. */
  long_label: string;
  /** The operator's name (`map`, `fold`, `send`, ...). */
  op: string;
  type: NodeType;
  /** The innermost group it belongs to. */
  group: string;
  /** The collection it produces with its guarantees, e.g. `Stream<Unbounded, NoOrder, ExactlyOnce>`. */
  kind?: string | null;
  /** Where the user made it: `In [3], line 4` or `my_flow.py, line 12`. */
  source?: string | null;
  /** The text of that line. */
  code_line?: string | null;
  /** Its nondet reason, where it has one. */
  nondet?: string | null;
  /** A network node (or a port): the codec both ends use. */
  codec?: string | null;
  /** A network node: the channel's name (what `d.inject()` takes). */
  channel?: string | null;
  /** DFIR view: the IR node it was lowered from. */
  ir?: string | null;
}

/** What flows along an edge. */
export interface IEdge {
  id: string;
  src: string;
  dst: string;
  /** Stream, KeyedStream, Singleton, Optional, KeyedSingleton. */
  kind?: string | null;
  bound?: string | null;
  order?: string | null;
  retries?: string | null;
  /** It crosses the network (dashed). */
  network?: boolean;
  /** It closes a cycle (dotted, does not constrain the layout). */
  cycle?: boolean;
  /** DFIR view: a delayed edge: into the next tick, a later stratum, or a reference. */
  delay?: 'tick' | 'stratum' | 'reference' | null;
  label?: string;
}

/** Kernel → renderer, on the comm: new values for the live graph `id`. */
export interface IUpdate {
  type: 'update';
  id: string;
  /** Increases with every update of one `id`; an older one is ignored. */
  seq: number;
  state: LiveState;
  /** One line shown above the graph (e.g. "running · 3 instances · 1,204 ticks"). */
  status?: string;
  /** Why the deployment failed (state `failed`). */
  error?: string | null;
  /** Overlays by view; a view not named keeps its last overlay. */
  views: { ir?: IOverlay; dfir?: IOverlay };
  /** Per group: cluster membership (a killed member shows as killed). */
  groups?: { [groupId: string]: IGroupStatus };
}

/** Values drawn over one view. */
export interface IOverlay {
  /** By node: elements so far (live) or in this step (replay). */
  counts?: { [nodeId: string]: number };
  /** By node: per second (on a network node: the channel's messages/s). */
  rates?: { [nodeId: string]: number };
  /** Replay: the nodes in `counts` are lit and every other node fades. */
  lit?: boolean;
}

/** A cluster's members while it runs. */
export interface IGroupStatus {
  members?: number;
  alive?: number;
  killed?: string[];
}

/** Renderer → kernel, on the comm: send the latest update of these ids again
 * (a page reloaded while a deployment runs). */
export interface IHello {
  type: 'hello';
  ids: string[];
}
