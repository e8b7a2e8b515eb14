// explorer's page: mount(root, api) builds the app inside `root`. Every call to the server goes
// through `api(name, params)`: fetchApi here; a notebook widget passes its own transport.
import {h, clear, resultsPanel, cardPanel, relatedInto, selectionPanel, topicsPanel, chips}
  from './panels.js';
import {drawMap, setMarks, setHidden, restyleBase, zoomTo, drawTimeline} from './plot.js';
import {libraryLayer} from './library.js';
import {inTopic, parseTopic, treePanel, zoomLabels, zoomToTopic} from './levels.js';
import {topicEditor} from './edits.js';

// The most example papers one query may send (the API's limit, SearchBody.examples).
export const EXAMPLE_LIMIT = 100;

// A failed call: the server's one-line message, and its HTTP status (0 when none came).
export class ApiError extends Error {
  constructor(message, status = 0) { super(message); this.status = status; }
}

// The corpus's build each answer came from (X-Explorer-Generation): the server follows its
// corpus, so a page loaded before a rebuild hears of it with its next call.
const builds = {seen: new Set(), loaded: null, onChange: null};
function heard(generation) {
  if (generation) builds.seen.add(generation);
  if (builds.loaded && builds.onChange && [...builds.seen].some(g => g !== builds.loaded)) {
    const f = builds.onChange;
    builds.onChange = null;
    f();
  }
}

const ROUTES = {
  info: ['GET', () => '/api/info'],
  points: ['GET', () => '/api/points'],
  paper: ['GET', p => '/api/paper/' + encodeURIComponent(p.id)],
  find: ['GET', () => '/api/find'],
  related: ['GET', () => '/api/related'],
  search: ['POST', () => '/api/search'],
  export: ['POST', () => '/api/export'],
  library: ['GET', () => '/api/library'],
  edit: ['POST', () => '/api/topics/edit'],
};

// The page's transport: fetch to /api/… on this server. Export answers {blob, filename}.
export async function fetchApi(name, params = {}) {
  const [method, path] = ROUTES[name];
  let url = path(params), init = {method, headers: {}};
  if (method === 'GET' && name !== 'paper') {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      for (const x of Array.isArray(v) ? v : [v]) if (x !== null && x !== undefined && x !== '') q.append(k, x);
    }
    if (q.toString()) url += '?' + q;
  } else if (method === 'POST') {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(params);
  }
  const r = await fetch(url, init);
  heard(r.headers.get('X-Explorer-Generation'));
  if (!r.ok) {
    let msg = r.statusText;
    try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
    throw new ApiError(msg, r.status);
  }
  if (name === 'export') {
    const m = /filename="([^"]+)"/.exec(r.headers.get('Content-Disposition') || '');
    return {blob: await r.blob(), filename: m ? m[1] : 'explorer-export'};
  }
  return r.json();
}

// `onState(state)` hears the page's state after every change (what the URL carries, and the
// selection's ids): a notebook widget mirrors it into Python. mount answers a controller:
// {state, select(ids), highlight(hits, note)}, for a host that sets the page from outside.
export async function mount(root, api = fetchApi, {onState = null} = {}) {
  const S = {info: null, pts: null, index: new Map(), colorBy: 'topic', mode: '',
    text: '', textPaper: null, miss: null, examples: [], negatives: [], years: null, categories: [],
    topics: [], hidden: [], hits: [], point: null, paper: null, selection: [], range: null,
    // "papers like these": the selection as one example, {ids (closest to its centre first), total}
    group: null, quiet: false, sort: {key: 'year', dir: 1}, lib: null};
  const $ = {};
  const status = msg => { $.status.textContent = msg || ''; };

  clear(root, h('div', {class: 'explorer'},
    $.head = h('header', {},
      $.title = h('h1', {}, 'explorer'),
      h('form', {id: 'search-form', on: {submit: e => { e.preventDefault(); fromBox(); }}},
        $.box = h('input', {type: 'search', id: 'query', placeholder:
          'a paper id or title, a phrase, or a whole abstract', 'aria-label': 'search'}),
        h('button', {type: 'submit', id: 'go'}, 'search')),
      $.mode = h('select', {id: 'mode', 'aria-label': 'ranking'}),
      $.color = h('select', {id: 'color-by', 'aria-label': 'colour by'},
        ['topic', 'year', 'category'].map(c => h('option', {value: c}, 'colour: ' + c))),
      $.status = h('span', {id: 'status', role: 'status'})),
    h('div', {class: 'filters'},
      h('label', {}, 'years ', $.y0 = h('input', {type: 'number', id: 'year-from', size: 5}),
        '–', $.y1 = h('input', {type: 'number', id: 'year-to', size: 5})),
      h('label', {}, 'categories ', $.cats = h('select', {id: 'categories', multiple: true, size: 3})),
      h('label', {}, 'topics ', $.tops = h('select', {id: 'topics', multiple: true, size: 3})),
      h('button', {type: 'button', id: 'clear-filters', on: {click: clearFilters}}, 'clear filters'),
      $.chips = h('div', {class: 'chips', id: 'chips'})),
    h('div', {class: 'body'},
      h('div', {class: 'mapcol'},
        $.toolbar = h('div', {class: 'maptools', id: 'map-tools', role: 'toolbar', 'aria-label': 'map tools'},
          $.tools = ['pan', 'select', 'lasso'].map(m => h('button', {type: 'button', id: 'tool-' + m,
            class: 'tool', 'aria-pressed': String(m === 'pan'), dataset: {mode: m},
            title: {pan: 'drag to pan, scroll to zoom', select: 'drag a box to select papers',
              lasso: 'draw round papers to select them'}[m],
            on: {click: () => dragMode(m)}}, {pan: 'Pan', select: 'Box', lasso: 'Lasso'}[m])),
          h('button', {type: 'button', id: 'tool-clear', class: 'tool', on: {click: () => clearSelection()}},
            'Clear selection'),
          h('button', {type: 'button', id: 'tool-reset', class: 'tool', title: 'show the whole map',
            on: {click: () => Plotly.relayout($.map, {'xaxis.autorange': true, 'yaxis.autorange': true})}},
          'Whole map')),
        $.map = h('div', {id: 'map'}),
        $.timeline = h('div', {id: 'timeline'})),
      h('aside', {},
        h('section', {id: 'results-panel'}, h('h2', {}, 'Results'), $.results = h('div', {id: 'results'})),
        $.card = h('section', {id: 'card'}),
        $.sel = h('section', {id: 'selection', hidden: true}),
        $.topicList = h('section', {id: 'topics-panel'})))));

  async function call(name, params, what) {
    status(what || 'working…');
    try { const r = await api(name, params); status(''); return r; } catch (e) {
      status(e instanceof ApiError ? 'Error: ' + e.message : 'Error: the server did not answer');
      throw e;
    }
  }

  // -- filters: every query sends them; points that fail them are dimmed --------------------
  function filterParams() {
    const p = {};
    if (S.years) p.years = `${S.years[0] ?? ''}-${S.years[1] ?? ''}`;
    if (S.categories.length) p.categories = S.categories;
    if (S.topics.length) p.topics = S.topics;
    if (S.mode) p.mode = S.mode;
    return p;
  }
  function passes(i) {
    const P = S.pts;
    if (S.years) {
      const y = P.year[i];
      if (y === null || (S.years[0] !== null && y < S.years[0]) || (S.years[1] !== null && y > S.years[1])) return false;
    }
    if (S.topics.length && !S.topics.some(t => inTopic(P, t, i))) return false;
    if (S.categories.length) {
      const c = (P.category[i] || '').toLowerCase();
      if (!S.categories.some(w => c === w.toLowerCase() || c.startsWith(w.toLowerCase() + '.'))) return false;
    }
    return true;
  }
  const filtering = () => Boolean(S.years || S.categories.length || S.topics.length);
  function opacity() {
    if (!filtering()) return 0.8;
    return S.pts.ids.map((_, i) => (passes(i) ? 0.85 : 0.08));
  }
  function readFilters() {
    const num = el => (el.value === '' ? null : Number(el.value));
    const lo = num($.y0), hi = num($.y1);
    S.years = lo === null && hi === null ? null : [lo, hi];
    S.categories = Array.from($.cats.selectedOptions, o => o.value);
    S.topics = Array.from($.tops.selectedOptions, o => Number(o.value));
  }
  function showFilters() {
    $.y0.value = S.years && S.years[0] !== null ? S.years[0] : '';
    $.y1.value = S.years && S.years[1] !== null ? S.years[1] : '';
    for (const o of $.cats.options) o.selected = S.categories.includes(o.value);
    for (const o of $.tops.options) o.selected = S.topics.includes(Number(o.value));
  }
  async function filtersChanged() {
    await restyleBase($.map, S.pts, {colorBy: S.colorBy, opacity: opacity(), info: S.info});
    timeline();
    await rerun();
    saveUrl();  // filters alone are state too (no query need be running)
  }
  function clearFilters() {
    S.years = null; S.categories = []; S.topics = []; showFilters(); filtersChanged();
  }

  // -- queries -------------------------------------------------------------------------------
  function showHits(hits, point, note, miss = null) {
    S.hits = hits; S.point = point;
    resultsPanel($.results, hits, note, openPaper, miss, suggestion);
    setMarks($.map, S.pts, S.index, hits, point, S.paper);
    saveUrl();
  }
  // The box's text names a paper (S.textPaper: its related papers are the results) or is
  // free text to search for; examples and negatives accumulate from the cards' buttons.
  async function resolveText() {
    S.textPaper = null; S.miss = null;
    if (!S.text) return true;
    let found;
    try { found = await call('find', {q: S.text}, 'looking up…'); } catch (e) {
      // a name that fits several papers (409) is searched as text; a failure stops here
      return e instanceof ApiError && e.status === 409;
    }
    S.textPaper = found.paper ? found.paper.id : null;
    S.miss = !found.paper && found.miss && found.miss.message ? found.miss : null;
    return true;
  }
  async function fromBox() {
    S.text = $.box.value.trim();
    if (!S.text && !S.examples.length && !S.group) return;
    if (await resolveText()) await rerun(true);
  }
  // The query's examples: the named paper, the chips', then as many of the selection's (closest
  // to its centre first) as the API's limit leaves room for.
  function ownExamples() {
    const ex = S.textPaper ? [S.textPaper, ...S.examples] : S.examples;
    return Array.from(new Set(ex)).filter(x => !S.negatives.includes(x)).slice(0, EXAMPLE_LIMIT);
  }
  function groupExamples(own = ownExamples()) {
    if (!S.group) return [];
    const taken = new Set([...own, ...S.negatives]);
    return S.group.ids.filter(x => !taken.has(x)).slice(0, Math.max(0, EXAMPLE_LIMIT - own.length));
  }
  function examples() { const own = ownExamples(); return [...own, ...groupExamples(own)]; }
  function groupText() {
    const used = groupExamples().length, total = S.group.total;
    return used >= total ? `${total} selected papers`
      : `${used} of ${total} selected papers (the closest to their centre)`;
  }
  function showChips() {
    const items = [];
    if (S.group) items.push({key: 'selection', kind: 'group pos', text: groupText(),
      remove: () => { S.group = null; runSearch(); }});
    for (const id of S.examples) items.push({key: id, kind: 'pos', text: titleOf(id), remove: () => removeChip(id, 'pos')});
    for (const id of S.negatives) items.push({key: id, kind: 'neg', text: titleOf(id), remove: () => removeChip(id, 'neg')});
    chips($.chips, items, () => { S.group = null; S.examples = []; S.negatives = []; runSearch(); });
  }
  async function runSearch() {
    showChips();
    const text = S.textPaper ? '' : S.text, exs = examples();
    if (!text && !exs.length) { showHits([], null, ''); return; }
    const waitModel = text && !S.info.model_loaded;
    const body = {k: 20, ...filterParams()};
    if (text) body.text = text;
    if (exs.length) body.examples = exs;
    if (S.negatives.length) body.negatives = S.negatives;
    let r;
    try { r = await call('search', body, waitModel ? 'loading the model…' : 'searching…'); } catch (e) { return; }
    if (text) S.info.model_loaded = true;
    let note = exs.length > 1 || S.negatives.length ? `like ${exs.length} example(s)` : '';
    if (S.group) {
      const used = groupExamples().length;
      note = used < S.group.total
        ? `like ${used} of the ${S.group.total} selected papers (a query takes at most ${EXAMPLE_LIMIT} examples: those closest to the selection's centre on the map)`
        : `like the ${S.group.total} selected papers`;
      if (exs.length > used) note += ` and ${exs.length - used} more example(s)`;
    }
    showHits(r.hits, r.point, note, text ? S.miss : null);
  }
  // Results again (filters or mode changed, a new query): a named paper alone lists its
  // related papers and opens its card; anything else is a search.
  async function rerun(fresh = false) {
    const alone = S.textPaper && !S.examples.length && !S.negatives.length && !S.group;
    if (alone) { chips($.chips, [], null); await openPaper(S.textPaper, true); return; }
    if (S.text || S.examples.length || S.group) await runSearch();
    if (S.paper && !fresh) await openPaper(S.paper, false);
  }
  const titleOf = id => { const i = S.index.get(id); return i === undefined ? id : S.pts.title[i]; };
  function removeChip(id, kind) {
    if (kind === 'pos') S.examples = S.examples.filter(x => x !== id);
    else S.negatives = S.negatives.filter(x => x !== id);
    runSearch();
  }
  // A "did you mean" suggestion: that paper is the query now.
  function suggestion(id) { $.box.value = id; fromBox(); }

  // -- a paper's card --------------------------------------------------------------------------
  async function openPaper(id, asResults = false) {
    let p;
    try { p = await call('paper', {id}, 'opening…'); } catch (e) { return; }
    S.paper = p.id;
    cardPanel($.card, p, {
      close: () => { S.paper = null; clear($.card); setMarks($.map, S.pts, S.index, S.hits, S.point, null); saveUrl(); },
      more: pid => { if (!S.examples.includes(pid)) S.examples.push(pid); S.negatives = S.negatives.filter(x => x !== pid); runSearch(); },
      less: pid => { if (!S.negatives.includes(pid)) S.negatives.push(pid); S.examples = S.examples.filter(x => x !== pid); runSearch(); },
      show: pid => { const i = S.index.get(pid); zoomTo($.map, [S.pts.x[i]], [S.pts.y[i]]); },
    });
    if (S.lib) S.lib.annotate($.card, p.id);
    if (S.edits) S.edits.card($.card, p, S.info.topics.map(keyed));
    setMarks($.map, S.pts, S.index, S.hits, S.point, S.paper);
    saveUrl();
    let r;
    try { r = await call('related', {id: p.id, k: 10, ...filterParams()}, 'finding related papers…'); } catch (e) {
      relatedInto($.card.querySelector('#card-related'), [], openPaper); return;
    }
    const box = $.card.querySelector('#card-related');
    if (box) relatedInto(box, r.hits, openPaper);
    if (asResults) showHits(r.hits, null, `related to: ${p.title}`);
  }

  // -- selection, export, timeline, topics -----------------------------------------------------
  function snapshot() {
    return {selection: S.selection.map(i => S.pts.ids[i]), text: S.text || '',
      examples: [...S.examples, ...groupExamples([...S.examples])], negatives: [...S.negatives],
      years: S.years ? `${S.years[0] ?? ''}-${S.years[1] ?? ''}` : null,
      categories: [...S.categories], topics: [...S.topics], mode: S.mode || null,
      paper: S.paper || null};
  }
  const notify = () => { if (onState && S.pts) onState(snapshot()); };
  function setSelection(rows, range) {
    S.selection = rows; S.range = range || null;
    $.sel.dataset.range = S.range ? JSON.stringify(S.range) : '';
    const data = rows.map(i => ({id: S.pts.ids[i], title: S.pts.title[i], year: S.pts.year[i]}));
    selectionPanel($.sel, data, S.sort, {
      sort: key => { S.sort = {key, dir: S.sort.key === key ? -S.sort.dir : 1}; setSelection(S.selection, S.range); },
      like: () => {
        S.group = {ids: byCentre(rows).map(i => S.pts.ids[i]), total: rows.length};
        S.examples = []; S.negatives = []; S.text = ''; S.textPaper = null; S.miss = null; $.box.value = '';
        runSearch();
      },
      export: fmt => exportAs(data.map(d => d.id), fmt),
      clear: () => clearSelection(),
      open: id => openPaper(id),
    });
    timeline();
    notify();
  }
  // The selection's rows, closest to its centre (the mean of its map positions) first.
  function byCentre(rows) {
    const n = rows.length || 1;
    const cx = rows.reduce((a, i) => a + S.pts.x[i], 0) / n, cy = rows.reduce((a, i) => a + S.pts.y[i], 0) / n;
    const d = i => (S.pts.x[i] - cx) ** 2 + (S.pts.y[i] - cy) ** 2;
    return rows.slice().sort((a, b) => d(a) - d(b));
  }
  // Select these papers (ids) on the map and in the table; unknown ids are left out.
  async function selectIds(ids) {
    const rows = ids.map(id => S.index.get(id)).filter(i => i !== undefined);
    await quietly(async () => {
      await Plotly.relayout($.map, {selections: []});  // an earlier box would reselect its points
      await Plotly.restyle($.map, {selectedpoints: [rows.length ? rows : null]}, [0]);
    });
    setSelection(rows);
  }
  // The page's own drag modes (plotly's are in its hover toolbar): pan, box, lasso.
  function dragMode(m) {
    for (const b of $.tools) b.setAttribute('aria-pressed', String(b.dataset.mode === m));
    return Plotly.relayout($.map, {dragmode: m});
  }
  // Plotly's own events while the page changes the selection itself are not the user's.
  async function quietly(f) {
    S.quiet = true;
    try { await f(); } finally { S.quiet = false; }
  }
  // A drawn box or lasso selects its points, then goes: the points stay selected, the map is
  // back to pan and zoom (a drawn shape would swallow the wheel inside it).
  async function settle(rows) {
    await quietly(async () => {
      await Plotly.relayout($.map, {selections: []});
      await Plotly.restyle($.map, {selectedpoints: [rows.length ? rows : null]}, [0]);
    });
    await dragMode('pan');
  }
  async function clearSelection() {
    await quietly(async () => {
      await Plotly.relayout($.map, {selections: []});
      await Plotly.restyle($.map, {selectedpoints: [null]}, [0]);
    });
    setSelection([]);
  }
  async function exportAs(ids, format) {
    let r;
    try { r = await call('export', {ids, format}, 'exporting…'); } catch (e) { return; }
    const url = URL.createObjectURL(r.blob);
    const a = h('a', {href: url, download: r.filename, hidden: true});
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
  function timeline() {
    const P = S.pts, monthly = Boolean(P.month) && S.info.year_range &&
      S.info.year_range[1] - S.info.year_range[0] <= 1;
    const rows = S.selection.length ? S.selection : P.ids.map((_, i) => i).filter(i => !filtering() || passes(i));
    S.monthly = monthly;
    return drawTimeline($.timeline, rows.map(i => (monthly ? P.month[i] : P.year[i])));
  }
  // The legend: hide or show a topic's points and label (a view, not a filter: queries ignore it).
  async function hideTopics(hidden) {
    S.hidden = hidden;
    legend();
    await setHidden($.map, S.pts, S.hidden);
    if (S.selection.length) setSelection(S.selection.filter(i => !S.hidden.includes(S.pts.topic[i])), S.range);
  }
  // A topic at the default level as an edit names it (edits.js): its id.
  const keyed = t => ({...t, key: String(t.id)});
  function legend() {
    const edit = S.edits ? S.edits.button : null;  // explorer serve --edit
    if (S.info.tree && S.info.tree.levels.length > 1) {  // the topic tree (levels.js)
      treePanel($.topicList, S.info.tree, S.topics, {pick: pickTopic, edit});
      return;
    }
    topicsPanel($.topicList, S.info.topics, S.hidden, {
      edit: edit && (t => edit(keyed(t), S.info.topics.map(keyed))),
      zoom: zoomTopic,
      toggle: t => hideTopics(S.hidden.includes(t) ? S.hidden.filter(x => x !== t) : [...S.hidden, t]).then(saveUrl),
      showAll: () => hideTopics([]).then(saveUrl),
      hideAll: () => hideTopics(S.info.topics.map(t => t.id)).then(saveUrl),
    });
  }
  // A node of the topic tree: the filter, and the map zoomed to it (null: every topic).
  async function pickTopic(key) {
    S.topics = key === null ? [] : [key];
    showFilters(); legend();
    if (key === null) await Plotly.relayout($.map, {'xaxis.autorange': true, 'yaxis.autorange': true});
    else { await zoomToTopic($.map, S.pts, key); await S.levels.focus(key); }
    await filtersChanged();
  }
  // After a topic edit (edits.js): the topics again from the server, and all that shows them.
  async function topicsChanged() {
    [S.info, S.pts] = await Promise.all([api('info'), api('points')]);
    S.pts.ids.forEach((id, i) => S.index.set(id, i));
    const known = new Set(S.info.topics.map(t => t.id));
    const keys = new Set(S.info.tree ? S.info.tree.levels.flat().map(t => t.key) : []);
    S.hidden = S.hidden.filter(t => known.has(t));
    S.topics = S.topics.filter(t => (typeof t === 'string' ? keys.has(t) : known.has(t)));
    topicOptions(); showFilters(); legend();
    await restyleBase($.map, S.pts, {colorBy: S.colorBy, opacity: opacity(), info: S.info});
    await setHidden($.map, S.pts, S.hidden);
    await S.levels.update(S.info);
    timeline();
    if (S.paper) await openPaper(S.paper);
    saveUrl();
  }
  const topicOptions = () => clear($.tops, S.info.topics.map(t => h('option', {value: t.id}, `${t.label} (${t.size})`)));
  function zoomTopic(t) {
    const rows = S.pts.topic.flatMap((c, i) => (c === t ? [i] : []));
    zoomTo($.map, rows.map(i => S.pts.x[i]), rows.map(i => S.pts.y[i]));
  }

  // -- the URL carries the state ---------------------------------------------------------------
  function saveUrl() {
    notify();
    const q = new URLSearchParams();
    if (S.text) q.set('q', S.text);
    for (const e of S.examples) q.append('ex', e);
    for (const e of S.negatives) q.append('not', e);
    if (S.years) q.set('years', `${S.years[0] ?? ''}-${S.years[1] ?? ''}`);
    for (const c of S.categories) q.append('cat', c);
    for (const t of S.topics) q.append('topic', t);
    for (const t of S.hidden) q.append('hide', t);
    if (S.group) { q.set('sel', S.group.ids.slice(0, EXAMPLE_LIMIT).join(',')); q.set('seln', S.group.total); }
    if (S.paper) q.set('paper', S.paper);
    if (S.mode) q.set('mode', S.mode);
    if (S.colorBy !== 'topic') q.set('color', S.colorBy);
    if (S.lib && !S.lib.shown) q.set('lib', 'off');
    const hash = q.toString();
    if (hash !== location.hash.slice(1) && root.dataset.transport === 'fetch') {
      history.replaceState(null, '', hash ? '#' + hash : location.pathname);
    }
  }
  async function loadUrl() {
    if (root.dataset.transport !== 'fetch') return;
    const q = new URLSearchParams(location.hash.slice(1));
    S.text = q.get('q') || ''; $.box.value = S.text;
    S.examples = q.getAll('ex'); S.negatives = q.getAll('not');
    const m = /^(\d*)-(\d*)$/.exec(q.get('years') || '');
    S.years = m && (m[1] || m[2]) ? [m[1] ? Number(m[1]) : null, m[2] ? Number(m[2]) : null] : null;
    S.categories = q.getAll('cat'); S.topics = q.getAll('topic').map(parseTopic);
    const sel = (q.get('sel') || '').split(',').filter(Boolean);
    S.group = sel.length ? {ids: sel, total: Math.max(Number(q.get('seln')) || 0, sel.length)} : null;
    const known = new Set(S.info.topics.map(t => t.id));
    S.hidden = q.getAll('hide').map(Number).filter(t => known.has(t));
    if (S.hidden.length) await hideTopics(S.hidden);
    S.mode = q.get('mode') || ''; $.mode.value = S.mode;
    S.colorBy = q.get('color') || 'topic'; $.color.value = S.colorBy;
    showFilters(); legend();
    const node = S.topics.find(t => typeof t === 'string');
    if (node) { await zoomToTopic($.map, S.pts, node); await S.levels.focus(node); }
    if (filtering() || S.colorBy !== 'topic') await restyleBase($.map, S.pts, {colorBy: S.colorBy, opacity: opacity(), info: S.info});
    if (!(await resolveText())) S.textPaper = null;
    const paper = q.get('paper');
    if (S.text || S.examples.length || S.group) await rerun(true);
    if (paper && (paper !== S.textPaper || S.examples.length || S.negatives.length || S.group)) {
      await openPaper(paper, !S.text && !S.examples.length && !S.group);
    }
    timeline();
  }

  // A small bar under the header, once: the corpus was rebuilt since the page loaded.
  function rebuilt() {
    if (root.querySelector('#rebuilt')) return;
    const bar = h('div', {id: 'rebuilt', class: 'rebuilt', role: 'status'},
      h('span', {}, 'the corpus was rebuilt — '),
      h('button', {type: 'button', id: 'reload', on: {click: () => location.reload()}}, 'reload'),
      h('button', {type: 'button', class: 'x', 'aria-label': 'dismiss', on: {click: () => bar.remove()}}, '×'));
    $.head.after(bar);
  }

  // -- start -------------------------------------------------------------------------------------
  status('loading the corpus…');
  [S.info, S.pts] = await Promise.all([api('info'), api('points')]);
  S.pts.ids.forEach((id, i) => S.index.set(id, i));
  if (api === fetchApi && S.info.generation) {
    builds.loaded = S.info.generation; builds.onChange = rebuilt; heard(null);
  }
  $.title.textContent = `explorer: ${S.info.corpus} (${S.info.papers.toLocaleString('en')} papers)`;
  clear($.mode, h('option', {value: ''}, `ranking: ${S.info.default_mode}`),
    S.info.modes.filter(m => m !== S.info.default_mode).map(m => h('option', {value: m}, 'ranking: ' + m)));
  clear($.cats, S.info.categories.slice(0, 200).map(c => h('option', {value: c.name}, `${c.name} (${c.count})`)));
  topicOptions();
  S.edits = S.info.editable ? topicEditor({api, status, changed: topicsChanged}) : null;
  legend();
  chips($.chips, [], null);
  resultsPanel($.results, [], '', openPaper);
  await drawMap($.map, S.pts, S.info, {colorBy: S.colorBy, opacity: 0.8});
  S.levels = zoomLabels($.map, S.info, S.pts);  // level 0's labels at full view, finer zoomed in
  // The map fills what the header, filters and chips leave, and is redrawn to it: its plot
  // never runs under the timeline when the bars above it grow.
  if (typeof ResizeObserver !== 'undefined') {
    let raf = 0;
    new ResizeObserver(() => {
      cancelAnimationFrame(raf);
      raf = requestAnimationFrame(() => { if ($.map.isConnected) Plotly.Plots.resize($.map); });
    }).observe($.map);
  }
  await timeline();
  $.map.on('plotly_click', ev => {
    const pt = ev.points && ev.points[0];
    if (!pt || (S.lib && S.lib.click(pt))) return;
    const id = pt.curveNumber === 0 ? S.pts.ids[pt.pointIndex] : (pt.customdata ?? null);
    if (id) openPaper(id);
  });
  $.map.on('plotly_selected', ev => {
    if (S.quiet) return;
    const rows = Array.from(new Set(ev ? ev.points.filter(p => p.curveNumber === 0).map(p => p.pointIndex) : []));
    const drawn = ev && (ev.range || ev.lassoPoints);
    setSelection(rows, drawn ? (ev.range || {lasso: ev.lassoPoints}) : null);
    if (drawn) settle(rows);
  });
  $.map.on('plotly_deselect', () => { if (!S.quiet) setSelection([]); });
  $.timeline.on('plotly_selected', ev => {
    if (!ev || !ev.points.length) return;
    const keys = ev.points.map(p => String(p.x)).sort();
    const y = k => Number(k.slice(0, 4));
    S.years = [y(keys[0]), y(keys[keys.length - 1])];
    showFilters(); filtersChanged();
  });
  for (const el of [$.y0, $.y1, $.cats, $.tops]) el.addEventListener('change', () => { readFilters(); filtersChanged(); });
  $.mode.addEventListener('change', () => { S.mode = $.mode.value; rerun().then(saveUrl); });
  $.color.addEventListener('change', () => { S.colorBy = $.color.value; restyleBase($.map, S.pts, {colorBy: S.colorBy, opacity: opacity(), info: S.info}); saveUrl(); });
  // Your library (explorer serve --library): a layer of the map, and its recommended papers as
  // the results when the URL asks for nothing else.
  const lib = S.info.library;
  status(lib && lib.error ? 'Error: your library: ' + lib.error : '');
  if (lib && !lib.error) {
    S.lib = await libraryLayer({api: call, map: $.map, tools: $.toolbar, card: $.card, status,
      select: selectIds, showHits: (hits, note) => showHits(hits, null, note), changed: saveUrl});
    const off = root.dataset.transport === 'fetch' && new URLSearchParams(location.hash.slice(1)).get('lib') === 'off';
    if (S.lib && off) await S.lib.show(false, true);  // as the URL says, before it is read
  }
  await loadUrl();
  if (S.lib && !S.hits.length && !S.text && !S.examples.length && !S.group && !S.paper) S.lib.recommend();
  timeline();
  root.dataset.ready = 'true';
  notify();
  return {
    state: S,
    // Select these papers (ids) on the map and in the table; unknown ids are left out.
    select: selectIds,
    // List these hits (Hit.to_dict()s) as the results and mark them on the map.
    highlight(hits, note = '') { showHits(hits, null, note); },
  };
}

const el = document.getElementById('explorer-app');
if (el && el.dataset.transport === 'fetch') {
  mount(el).catch(e => {
    const s = document.getElementById('status');
    if (s) s.textContent = 'Error: ' + (e && e.message ? e.message : 'the page could not start');
  });
}
