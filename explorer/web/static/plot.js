// The map (plotly scattergl) and the timeline (a plotly bar chart). Plotly renders hover text
// and annotations as pseudo-HTML: corpus text goes through esc() first.

// Colours come from the server (/api/info): the same palette and topic colours as
// `explorer map` (colour-blind safe, neighbouring topics in different colours).
const CONFIG = {displaylogo: false, scrollZoom: true, responsive: true,
  modeBarButtonsToRemove: ['sendChartToCloud', 'toImage'], showSendToCloud: false};

// Min and max of a long array (spreading 75k numbers into Math.min can overflow the stack).
function extent(xs) {
  let lo = Infinity, hi = -Infinity;
  for (const v of xs) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}

export function esc(s) {
  return String(s ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function wrap(s, n) {
  const out = [];
  let line = '';
  for (const w of String(s).split(/\s+/)) {
    if (line && (line + ' ' + w).length > n) { out.push(line); line = w; } else line = line ? line + ' ' + w : w;
  }
  if (line) out.push(line);
  return out.slice(0, 3).map(esc).join('<br>');
}

export function colours(pts, by, info) {
  const n = pts.ids.length, PALETTE = info.palette, NOISE = info.noise_color;
  if (by === 'year') {
    const [lo, hi] = extent(pts.year.filter(y => y !== null));
    return {color: pts.year.map(y => (y === null ? lo : y)), colorscale: 'Viridis', cmin: lo,
      cmax: hi === lo ? lo + 1 : hi, showscale: true,
      colorbar: {thickness: 10, len: 0.5, tickformat: 'd'}};
  }
  if (by === 'category') {
    const idx = new Map();
    return {color: pts.category.map(c => {
      if (c === null) return NOISE;
      if (!idx.has(c)) idx.set(c, idx.size);
      return PALETTE[idx.get(c) % PALETTE.length];
    }), showscale: false};
  }
  const topic = new Map(info.topics.map(t => [t.id, t.color]));
  return {color: Array.from({length: n}, (_, i) => topic.get(pts.topic[i]) || NOISE),
    showscale: false};
}

// The topics' labels as plotly annotations, where `explorer map` puts them (beside their topic,
// apart from each other); on a smaller screen or zoomed out, tidyLabels hides those that would
// cover a bigger topic's. Labels are corpus text (or a user's edit): escaped.
export function topicLabels(info) {
  return info.topics.filter(t => t.label_text !== null).map(t => ({
    x: t.label_x, y: t.label_y, text: t.label_text.split('\n').map(esc).join('<br>'),
    showarrow: false, font: {size: 11, color: '#222'}, bgcolor: 'rgba(255,255,255,0.8)',
    bordercolor: t.color, borderwidth: 1, borderpad: 2, name: 'topic ' + t.id}));
}

export function drawMap(el, pts, info, opts) {
  const hover = pts.title.map((t, i) => '<b>' + wrap(t, 60) + '</b><br>' + esc(pts.ids[i]) +
    (pts.year[i] !== null ? ' · ' + pts.year[i] : ''));
  const base = {type: 'scattergl', mode: 'markers', x: pts.x, y: pts.y, hovertext: hover,
    hoverinfo: 'text', name: 'papers', showlegend: false,
    marker: {size: pts.ids.length > 5000 ? 3 : 7, opacity: opts.opacity,
      ...colours(pts, opts.colorBy, info)},
    selected: {marker: {opacity: 1}}, unselected: {marker: {opacity: 0.35}}};
  const annotations = topicLabels(info);
  const layout = {margin: {l: 10, r: 10, t: 10, b: 10}, dragmode: 'pan', hovermode: 'closest',
    xaxis: {visible: false}, yaxis: {visible: false, scaleanchor: 'x'}, annotations,
    plot_bgcolor: '#fff', uirevision: 'map'};
  return Plotly.newPlot(el, [base, marks([], [], []), marks([], [], [], 'query'),
    marks([], [], [], 'paper')], layout, CONFIG).then(gd => {
    gd.on('plotly_afterplot', () => tidyLabels(gd));
    tidyLabels(gd);
    return gd;
  });
}

// Labels never pile up: after each redraw, a topic label overlapping a bigger topic's (drawn
// earlier: topics come biggest first) is hidden until a zoom makes room for it. A label never
// covers a highlighted point (a result, the query's star, the open paper: gd._avoid, data
// coordinates) nor stands for a topic hidden from the map (gd._hiddenTopics).
export function tidyLabels(gd) {
  const kept = [], L = gd._fullLayout, anns = (gd.layout && gd.layout.annotations) || [];
  let hidden = 0, covering = 0;
  const box = gd.getBoundingClientRect();
  const avoid = L && L.xaxis && L.xaxis.l2p ? (gd._avoid || []).map(([x, y]) =>
    [box.left + L._size.l + L.xaxis.l2p(x), box.top + L._size.t + L.yaxis.l2p(y)]) : [];
  const off = new Set((gd._hiddenTopics || []).map(t => 'topic ' + t));
  const PAD = 6;  // a highlighted marker's radius, about
  gd.querySelectorAll('.annotation').forEach(g => {
    g.style.visibility = '';
    const a = anns[Number(g.getAttribute('data-index'))];
    const r = g.getBoundingClientRect();
    if (a && off.has(a.name)) {
      g.style.visibility = 'hidden';
      hidden += 1;
    } else if (avoid.some(([x, y]) => x > r.left - PAD && x < r.right + PAD && y > r.top - PAD && y < r.bottom + PAD)) {
      g.style.visibility = 'hidden';
      covering += 1;
    } else if (kept.some(k => r.left < k.right && k.left < r.right && r.top < k.bottom && k.top < r.bottom)) {
      g.style.visibility = 'hidden';
      hidden += 1;
    } else kept.push(r);
  });
  gd.dataset.hiddenLabels = String(hidden + covering);
  gd.dataset.coveringLabels = String(covering);
}

function marks(x, y, text, kind) {
  const style = {query: {symbol: 'star', size: 18, color: '#d62728', line: {width: 1, color: '#000'}},
    paper: {symbol: 'circle-open', size: 20, color: '#000', line: {width: 3}}}[kind] ||
    {symbol: 'circle', size: 11, color: 'rgba(255,215,0,0.95)', line: {width: 1.5, color: '#000'}};
  return {type: 'scattergl', mode: 'markers', x, y, hovertext: text, hoverinfo: 'text',
    name: kind || 'results', showlegend: false, marker: style, customdata: []};
}

// Trace 1: the results; trace 2: where a free-text query lands; trace 3: the open paper.
export function setMarks(el, pts, index, hits, point, paperId) {
  const rows = hits.map(x => index.get(x.id)).filter(i => i !== undefined);
  const upd = {x: [rows.map(i => pts.x[i]), point ? [point[0]] : [], []],
    y: [rows.map(i => pts.y[i]), point ? [point[1]] : [], []],
    hovertext: [rows.map((i, r) => `#${r + 1} ${esc(pts.title[i])}`), ['your query'], []],
    customdata: [rows.map(i => pts.ids[i]), [], []]};
  const p = paperId === null ? undefined : index.get(paperId);
  if (p !== undefined) {
    upd.x[2] = [pts.x[p]]; upd.y[2] = [pts.y[p]]; upd.hovertext[2] = [esc(pts.title[p])];
    upd.customdata[2] = [pts.ids[p]];
  }
  el._avoid = [0, 1, 2].flatMap(c => upd.x[c].map((x, i) => [x, upd.y[c][i]]));
  return Plotly.restyle(el, upd, [1, 2, 3]).then(() => tidyLabels(el));
}

// Topics hidden from the map (the legend's toggles): their points and labels are not drawn
// (NaN coordinates: not drawn, not hoverable, not selectable; point indices are kept).
export function setHidden(el, pts, hiddenTopics) {
  el._hiddenTopics = [...hiddenTopics];
  const off = new Set(hiddenTopics);
  const x = off.size ? pts.x.map((v, i) => (off.has(pts.topic[i]) ? NaN : v)) : pts.x;
  const y = off.size ? pts.y.map((v, i) => (off.has(pts.topic[i]) ? NaN : v)) : pts.y;
  return Plotly.restyle(el, {x: [x], y: [y]}, [0]).then(() => tidyLabels(el));
}

export function restyleBase(el, pts, opts) {
  const c = colours(pts, opts.colorBy, opts.info);
  return Plotly.restyle(el, {'marker.opacity': [opts.opacity], 'marker.color': [c.color],
    'marker.colorscale': [c.colorscale || null], 'marker.showscale': [c.showscale],
    'marker.cmin': [c.cmin], 'marker.cmax': [c.cmax]}, [0]);
}

export function zoomTo(el, xs, ys) {
  if (!xs.length) return null;
  const pad = (a, b) => Math.max((b - a) * 0.15, 0.5);
  const [x0, x1] = extent(xs), [y0, y1] = extent(ys);
  return Plotly.relayout(el, {'xaxis.range': [x0 - pad(x0, x1), x1 + pad(x0, x1)],
    'yaxis.range': [y0 - pad(y0, y1), y1 + pad(y0, y1)]});
}

// Papers per year (or per month when the corpus spans at most two years).
export function drawTimeline(el, keys) {
  const counts = new Map();
  for (const k of keys) if (k !== null && k !== undefined) counts.set(k, (counts.get(k) || 0) + 1);
  const xs = Array.from(counts.keys()).sort();
  const data = [{type: 'bar', x: xs.map(String), y: xs.map(k => counts.get(k)),
    marker: {color: '#4c78a8'}, hovertemplate: '%{x}: %{y}<extra></extra>'}];
  const layout = {margin: {l: 30, r: 10, t: 4, b: 24}, height: 110, dragmode: 'select',
    selectdirection: 'h', xaxis: {type: 'category', fixedrange: true},
    yaxis: {fixedrange: true}, bargap: 0.1};
  return Plotly.react(el, data, layout, {displayModeBar: false, responsive: true});
}
