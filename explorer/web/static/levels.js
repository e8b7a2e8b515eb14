// The topic tree on the page (/api/info's `tree`, /api/points' `levels`): the map's labels by
// zoom, the topic list as a tree with counts, and topic filters at any level ("LEVEL.ID").
//
// Which level's labels show (chooseLevel): at full view (zoomed in less than FULL_VIEW times
// the whole map) level 0's, the fields. Zoomed in further, the finest level with 1 to
// LABELS_IN_VIEW topic centres inside the view: a view over one field shows its topics, a view
// over one topic its finer topics; a view with too many centres in it stays coarser. Each
// level's labels sit where the server placed them (placement.place_labels: level 0 on the whole
// map, a finer topic among its siblings on its parent's part), and plot.js's tidyLabels hides
// any that would still overlap at this zoom. Topic names are corpus text: they reach the DOM as
// textContent and the map only through esc().
import {h, clear} from './panels.js';
import {esc, tidyLabels, topicLabels, zoomTo} from './plot.js';

export const FULL_VIEW = 1.5;
export const LABELS_IN_VIEW = 10;

// A topic filter as the page keeps it: a number (an id at the default level, as the topics
// <select> gives it) or "LEVEL.ID". Is paper row `i` in it?
export function inTopic(pts, t, i) {
  if (typeof t === 'string' && t.includes('.')) {
    const [lv, id] = t.split('.').map(Number);
    return Boolean(pts.levels && pts.levels[lv]) && pts.levels[lv][i] === id;
  }
  return pts.topic[i] === Number(t);
}

// A topic filter read from the URL: "0.3" stays a key, "7" is an id.
export const parseTopic = s => (String(s).includes('.') ? String(s) : Number(s));

function extent(xs) {
  let lo = Infinity, hi = -Infinity;
  for (const v of xs) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}

// The level to label for a view {x: [x0, x1], y: [y0, y1]} of a map whose points span `whole`.
export function chooseLevel(tree, view, whole) {
  const span = r => Math.abs(r[1] - r[0]) || 1;
  const zoom = Math.max(span(whole.x) / span(view.x), span(whole.y) / span(view.y));
  if (zoom < FULL_VIEW || tree.levels.length < 2) return 0;
  const inside = t => t.x >= Math.min(...view.x) && t.x <= Math.max(...view.x) &&
    t.y >= Math.min(...view.y) && t.y <= Math.max(...view.y);
  for (let lv = tree.levels.length - 1; lv > 0; lv--) {
    const n = tree.levels[lv].filter(inside).length;
    if (n >= 1 && n <= LABELS_IN_VIEW) return lv;
  }
  return 0;
}

// One level's labels as plotly annotations: the default level's are named "topic ID" (the
// legend's hidden topics are those ids), the others "topic LEVEL.ID".
export function annotations(tree, lv) {
  return tree.levels[lv].filter(t => t.label_text !== null).map(t => ({
    x: t.label_x, y: t.label_y, text: t.label_text.split('\n').map(esc).join('<br>'),
    showarrow: false, font: {size: lv === 0 ? 13 : 11, color: '#222'},
    bgcolor: 'rgba(255,255,255,0.8)', bordercolor: t.color, borderwidth: lv === 0 ? 2 : 1,
    borderpad: 2, name: lv === tree.default_level ? 'topic ' + t.id : 'topic ' + t.key}));
}

// Labels by zoom on the map `gd`: answers {level(), show(lv), focus(key), update(info)} (update:
// the topics changed, an edit: the same level's labels, named anew); gd.dataset.labelLevel
// says which level is shown (the tests read it). A node picked in the tree (focus, after the
// map zoomed to it) shows its children's level, however much of the map it covers (a field of
// 70% of the papers is hardly a zoom); the next zoom or pan chooses by the rule again.
export function zoomLabels(gd, info, pts) {
  let tree = info.tree;
  const whole = {x: extent(pts.x), y: extent(pts.y)};
  let shown = null, busy = false;
  async function show(lv) {
    if (lv === shown) return;
    shown = lv;
    gd.dataset.labelLevel = String(lv);
    busy = true;
    try { await Plotly.relayout(gd, {annotations: annotations(tree, lv)}); } finally { busy = false; }
    tidyLabels(gd);
  }
  function follow() {
    const L = gd._fullLayout;
    if (busy || !L || !L.xaxis || !L.xaxis.range) return;
    show(chooseLevel(tree, {x: L.xaxis.range, y: L.yaxis.range}, whole));
  }
  if (tree && tree.levels.length > 1) {
    gd.on('plotly_relayout', follow);
    follow();
  } else gd.dataset.labelLevel = '0';
  async function focus(key) {
    const lv = Number(String(key).split('.')[0]);
    if (tree && tree.levels.length > 1 && lv + 1 < tree.levels.length) await show(lv + 1);
  }
  async function update(next) {
    tree = next.tree;
    if (!(tree && tree.levels.length > 1)) {  // one level: the labels drawMap draws
      await Plotly.relayout(gd, {annotations: topicLabels(next)});
      tidyLabels(gd);
      return;
    }
    const lv = Math.min(shown ?? 0, tree.levels.length - 1);
    shown = null;
    await show(lv);
  }
  return {level: () => shown ?? 0, show, follow, focus, update};
}

// Zoom the map to the papers of a topic filter (a number or "LEVEL.ID").
export function zoomToTopic(gd, pts, t) {
  const rows = [];
  for (let i = 0; i < pts.ids.length; i++) if (inTopic(pts, t, i)) rows.push(i);
  return zoomTo(gd, rows.map(i => pts.x[i]), rows.map(i => pts.y[i]));
}

// The topic list as a tree: each node a swatch in its colour, its label and its count; a click
// zooms to it and filters by it (actions.pick(key)); the node filtered by is marked. With
// actions.edit (explorer serve --edit), each node also gets actions.edit(topic, siblings): its
// edit button (edits.js), the siblings being its level's topics under the same parent.
export function treePanel(el, tree, current, actions) {
  const byLevel = tree.levels.map(level => new Map(level.map(t => [t.id, t])));
  const node = t => {
    const sw = h('span', {class: 'swatch', 'aria-hidden': 'true'});
    sw.style.background = String(t.color || '#999');
    const kids = byLevel[t.level + 1] ? t.children.map(c => byLevel[t.level + 1].get(c)).filter(Boolean) : [];
    return h('li', {dataset: {key: t.key, level: t.level}, role: 'treeitem',
      'aria-expanded': kids.length ? 'true' : null},
      h('button', {type: 'button', class: 'link topic node', dataset: {key: t.key},
        'aria-current': current.includes(t.key) ? 'true' : null,
        on: {click: () => actions.pick(t.key)}}, sw, t.label),
      h('span', {class: 'meta count'}, ` (${t.size})`),
      actions.edit ? actions.edit(t, tree.levels[t.level].filter(s => s.parent === t.parent)) : null,
      kids.length ? h('ul', {class: 'tree', role: 'group'}, kids.map(node)) : null);
  };
  const noise = tree.noise[0];
  clear(el, h('h2', {}, `Topics (${tree.levels.map(l => l.length).join(' · ')})`),
    h('div', {class: 'buttons'},
      h('button', {type: 'button', id: 'topics-clear', on: {click: () => actions.pick(null)}},
        'all topics')),
    h('ul', {class: 'tree topics', id: 'topic-tree', role: 'tree'}, tree.levels[0].map(node)),
    noise ? h('p', {class: 'meta'}, `no topic: ${noise} papers`) : null);
}
