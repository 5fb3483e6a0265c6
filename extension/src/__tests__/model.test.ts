import {
  AUTO_FOLD_OPERATORS,
  checkPayload,
  codeGroup,
  compactNumber,
  graphSignature,
  groupOfSummary,
  indexGraph,
  initialFolds,
  isSummary,
  rateText,
  revealNode,
  searchNodes,
  summaryId,
  topLevelGroups,
  visibleGraph
} from '../model';
import { IGraph } from '../protocol';
import { chain, small } from './helpers';

const ir = () => small().views.ir;

describe('checkPayload', () => {
  it('accepts a version 2 payload', () => {
    expect(checkPayload(small())).toBeNull();
  });

  it('names the versions it draws when the version is unknown', () => {
    expect(checkPayload({ ...small(), version: 7 })).toBe(
      'this hydro_lab graph has schema version 7; this extension draws version 2: ' +
        'update hydro_lab or the extension'
    );
  });

  it('says what is missing in a malformed payload', () => {
    expect(checkPayload({ version: 2, title: 'x' })).toBe(
      'this hydro_lab graph is malformed: it has no views'
    );
    expect(checkPayload({ version: 2, views: { dfir: null } })).toBe(
      'this hydro_lab graph is malformed: views.ir is missing'
    );
    expect(checkPayload({ version: 2, views: { ir: { groups: [], edges: [] } } })).toBe(
      'this hydro_lab graph is malformed: views.ir has no nodes list'
    );
    expect(
      checkPayload({ version: 2, views: { ir: { groups: [], nodes: [], edges: [{ src: 'a' }] } } })
    ).toBe('this hydro_lab graph is malformed: views.ir has an edge without src and dst');
    expect(checkPayload('a string')).toMatch(/not a JSON object/);
  });

  it('accepts a payload without a DFIR view', () => {
    const p = small();
    p.views.dfir = null;
    expect(checkPayload(p)).toBeNull();
  });
});

describe('indexGraph', () => {
  it('counts the operators anywhere inside each group', () => {
    const index = indexGraph(ir());
    expect(index.operatorCount.get('workers')).toBe(5); // n2 n3 n4 n5 n6
    expect(index.operatorCount.get('wtick')).toBe(3);
    expect(index.operatorCount.get('watomic')).toBe(2);
    expect(index.operatorCount.get('leader')).toBe(4);
    expect(topLevelGroups(index)).toEqual(['leader', 'workers', 'client']);
  });

  it('puts operators of unknown groups at the top and cuts parent cycles', () => {
    const g: IGraph = {
      kind: 'ir',
      groups: [
        { id: 'a', label: 'a', kind: 'process', parent: 'b' },
        { id: 'b', label: 'b', kind: 'tick', parent: 'a' }
      ],
      nodes: [
        { id: 'x', label: 'x', long_label: 'x', op: 'map', type: 'transform', group: 'nowhere' },
        { id: 'y', label: 'y', long_label: 'y', op: 'map', type: 'transform', group: 'b' }
      ],
      edges: [
        { id: 'e', src: 'x', dst: 'y' },
        { id: 'bad', src: 'x', dst: 'ghost' }
      ]
    };
    const index = indexGraph(g);
    expect(index.childNodes.get(null)).toEqual(['x']);
    expect(index.droppedEdges).toBe(1);
    const vis = visibleGraph(index, new Set());
    expect(vis.nodes.map(n => n.id).sort()).toEqual(['x', 'y']);
    expect(vis.groups.length).toBe(2);
  });
});

describe('visibleGraph and folding', () => {
  it('draws every operator, group and edge when nothing is folded', () => {
    const index = indexGraph(ir());
    const vis = visibleGraph(index, new Set());
    expect(vis.nodes.map(n => n.id)).toEqual(
      expect.arrayContaining(['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9', 'n10'])
    );
    expect(vis.nodes.length).toBe(10);
    expect(vis.groups.map(g => g.id)).toEqual(['leader', 'workers', 'wtick', 'watomic', 'client']);
    expect(vis.groups.find(g => g.id === 'watomic')!.parent).toBe('wtick');
    expect(vis.edges.length).toBe(11);
    expect(vis.edges.every(e => e.edges.length === 1)).toBe(true);
  });

  it('a folded group is one summary node holding its operators and nested groups', () => {
    const index = indexGraph(ir());
    const vis = visibleGraph(index, new Set(['workers']));
    const ids = vis.nodes.map(n => n.id);
    for (const hidden of ['n2', 'n3', 'n4', 'n5', 'n6']) {
      expect(ids).not.toContain(hidden);
    }
    const summary = vis.nodes.find(n => n.id === summaryId('workers'))!;
    expect(summary.operators).toBe(5);
    expect(summary.label).toBe('cluster workers (3 members)\n5 operators');
    expect(summary.parent).toBeNull();
    expect(vis.groups.map(g => g.id)).toEqual(['leader', 'client']);
    expect(vis.shownAs.get('n4')).toBe(summaryId('workers'));
  });

  it('merges the edges crossing a folded border, one per (src, dst), and drops those inside', () => {
    const index = indexGraph(ir());
    const vis = visibleGraph(index, new Set(['workers']));
    const s = summaryId('workers');
    const into = vis.edges.filter(e => e.dst === s);
    // n1 -> n2 and n10 -> n2: two distinct sources, so two edges
    expect(into.map(e => [e.src, e.edges.length])).toEqual([
      ['n1', 1],
      ['n10', 1]
    ]);
    const out = vis.edges.filter(e => e.src === s);
    expect(out.map(e => [e.dst, e.edges.map(x => x.id)])).toEqual([['n7', ['e6']]]);
    // e2..e5 and the cycle e8 are wholly inside
    const drawn = vis.edges.flatMap(e => e.edges.map(x => x.id));
    for (const inside of ['e2', 'e3', 'e4', 'e5', 'e8']) {
      expect(drawn).not.toContain(inside);
    }
  });

  it('counts the edges a merged edge stands for, and names it by the first', () => {
    const index = indexGraph(ir());
    const vis = visibleGraph(index, new Set(['workers', 'leader']));
    const a = summaryId('leader');
    const b = summaryId('workers');
    const ab = vis.edges.find(e => e.src === a && e.dst === b)!;
    expect(ab.edges.map(e => e.id)).toEqual(['e1', 'e11']);
    expect(ab.id).toBe('e1');
    expect(vis.edges.find(e => e.src === b && e.dst === a)!.edges.length).toBe(1);
    expect(vis.edges.find(e => e.src === a && e.dst === 'n9')!.edges.map(e => e.id)).toEqual(['e9']);
    expect(vis.edges.length).toBe(3);
  });

  it('folding an inner group keeps the outer box; folding the outer hides the inner summary', () => {
    const index = indexGraph(ir());
    const inner = visibleGraph(index, new Set(['wtick']));
    expect(inner.groups.map(g => g.id)).toContain('workers');
    const summary = inner.nodes.find(n => n.id === summaryId('wtick'))!;
    expect(summary.parent).toBe('workers');
    expect(summary.operators).toBe(3);
    const both = visibleGraph(index, new Set(['wtick', 'workers']));
    expect(both.nodes.map(n => n.id)).not.toContain(summaryId('wtick'));
    expect(both.nodes.map(n => n.id)).toContain(summaryId('workers'));
  });

  it('unfolding restores the unfolded graph exactly', () => {
    const index = indexGraph(ir());
    const before = visibleGraph(index, new Set());
    visibleGraph(index, new Set(['workers', 'wtick']));
    const after = visibleGraph(index, new Set());
    expect(after.nodes.map(n => [n.id, n.parent])).toEqual(before.nodes.map(n => [n.id, n.parent]));
    expect(after.edges.map(e => [e.id, e.src, e.dst])).toEqual(before.edges.map(e => [e.id, e.src, e.dst]));
  });

  it('summary ids never collide with operator ids', () => {
    const id = summaryId('workers');
    expect(isSummary(id)).toBe(true);
    expect(isSummary('workers')).toBe(false);
    expect(groupOfSummary(id)).toBe('workers');
  });
});

describe('auto-fold', () => {
  it(`opens graphs of ${AUTO_FOLD_OPERATORS} operators or more folded to their top-level groups`, () => {
    expect(initialFolds(indexGraph(chain(AUTO_FOLD_OPERATORS - 1)))).toEqual(new Set());
    expect(initialFolds(indexGraph(chain(AUTO_FOLD_OPERATORS)))).toEqual(new Set(['L0', 'L1', 'L2']));
    const vis = visibleGraph(indexGraph(chain(2000, 8)), initialFolds(indexGraph(chain(2000, 8))));
    expect(vis.nodes.length).toBe(8);
    expect(vis.nodes.every(n => isSummary(n.id))).toBe(true);
    expect(vis.nodes.reduce((s, n) => s + (n.operators ?? 0), 0)).toBe(2000);
  });
});

describe('search', () => {
  it('matches label, long label, op and id, case-insensitively, in payload order', () => {
    const index = indexGraph(ir());
    expect(searchNodes(index, 'MAP')).toEqual(['n4', 'n10']);
    expect(searchNodes(index, 'nondet')).toEqual(['n3']); // long label only
    expect(searchNodes(index, 'for_each')).toEqual(['n8']);
    expect(searchNodes(index, '  ')).toEqual([]);
    expect(searchNodes(index, 'nothing like it')).toEqual([]);
  });

  it('revealing an operator unfolds exactly the groups containing it', () => {
    const index = indexGraph(ir());
    const folded = revealNode(index, new Set(['workers', 'wtick', 'watomic', 'leader']), 'n4');
    expect(folded).toEqual(new Set(['leader']));
    expect(visibleGraph(index, folded).nodes.map(n => n.id)).toContain('n4');
  });
});

describe('codeGroup', () => {
  it("finds the DFIR subgraph an operator runs in, and none for a location's handoff", () => {
    const index = indexGraph(small().views.dfir!);
    expect(codeGroup(index, 'd2')!.id).toBe('d_leader_sg0');
    expect(codeGroup(index, 'd2')!.code).toMatch(/def sg_0/);
    expect(codeGroup(index, 'dh')).toBeNull();
  });
});

describe('graphSignature', () => {
  it('changes with the structure, not with details', () => {
    const a = ir();
    const b = ir();
    b.nodes[0].source = 'elsewhere';
    b.nodes[0].long_label = 'another long label';
    expect(graphSignature(b)).toBe(graphSignature(a));
    const c = ir();
    c.edges.push({ id: 'e99', src: 'n1', dst: 'n8' });
    expect(graphSignature(c)).not.toBe(graphSignature(a));
    const d = ir();
    d.groups[1].parent = 'leader';
    expect(graphSignature(d)).not.toBe(graphSignature(a));
  });
});

describe('numbers', () => {
  it('are compact on badges', () => {
    expect(compactNumber(0)).toBe('0');
    expect(compactNumber(999)).toBe('999');
    expect(compactNumber(1234)).toBe('1.2k');
    expect(compactNumber(12345)).toBe('12.3k');
    expect(compactNumber(123456)).toBe('123k');
    expect(compactNumber(999_999)).toBe('1M');
    expect(compactNumber(3_400_000)).toBe('3.4M');
    expect(compactNumber(2e9)).toBe('2G');
    expect(rateText(12_300)).toBe('12.3k msg/s');
    expect(rateText(2.5)).toBe('2.5 msg/s');
  });
});
