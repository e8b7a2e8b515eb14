// explorer's notebook widget (anywidget): the page's own modules, mounted in a cell, talking to
// the kernel by custom messages instead of fetch. widget.py puts the page's module texts in
// SOURCES; each becomes a Blob URL with its './x.js' imports rewritten to those URLs (a relative
// import resolves nowhere in Jupyter). plotly.js comes once, as a message's binary buffer (not a
// traitlet: a saved notebook would carry its 5 MB in the widget state).
const SOURCES = __SOURCES__;

const urls = new Map();
function urlOf(name) {
  if (!urls.has(name)) {
    const text = SOURCES[name].replace(/(\bfrom\s*|\bimport\s*\(?\s*)(['"])\.\/([\w.-]+\.js)\2/g,
      (m, head, q, dep) => (dep in SOURCES ? head + q + urlOf(dep) + q : m));
    urls.set(name, URL.createObjectURL(new Blob([text], {type: 'text/javascript'})));
  }
  return urls.get(name);
}

let plotlyLoading = null;
function loadPlotly(ask) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyLoading) {
    plotlyLoading = ask('plotly.js').then(([, buffers]) => new Promise((resolve, reject) => {
      const url = URL.createObjectURL(new Blob(buffers, {type: 'text/javascript'}));
      const s = document.createElement('script');
      s.src = url;
      s.onload = () => resolve(window.Plotly);
      s.onerror = () => reject(new Error('plotly.js did not load'));
      document.head.appendChild(s);
    })).catch(e => { plotlyLoading = null; throw e; });
  }
  return plotlyLoading;
}

async function render({model, el}) {
  const root = document.createElement('div');
  root.className = 'explorer-widget';
  root.dataset.transport = 'widget';
  root.style.height = `${model.get('height')}px`;
  el.appendChild(root);

  // The transport: {id, name, params} out, {id, result} or {id, error, status} back.
  const pending = new Map(), nonce = Math.random().toString(36).slice(2);
  let seq = 0, timer = null;
  const onMessage = (msg, buffers) => {
    const p = msg && pending.get(msg.id);
    if (!p) return;  // another view's answer
    pending.delete(msg.id);
    if (msg.error !== undefined) p.reject({message: String(msg.error), status: msg.status || 0});
    else p.resolve([msg.result, buffers || []]);
  };
  model.on('msg:custom', onMessage);
  const ask = (name, params = {}) => new Promise((resolve, reject) => {
    const id = `${nonce}-${++seq}`;
    pending.set(id, {resolve, reject});
    model.send({id, name, params});
  });

  const [app] = await Promise.all([import(urlOf('app.js')), loadPlotly(ask)]);
  const api = (name, params = {}) => ask(name, params).then(([r]) => (name === 'export'
    ? {blob: new Blob([r.text], {type: r.media_type}), filename: r.filename} : r),
  e => { throw new app.ApiError(e.message, e.status); });

  // The page's state as traitlets, as the page reports it (mount's onState).
  let last = '';
  function push(st) {
    const state = {selected_ids: st.selection, query: st.text, examples: st.examples,
      negatives: st.negatives, paper: st.paper,
      filters: {years: st.years, categories: st.categories, topics: st.topics, mode: st.mode}};
    const key = JSON.stringify(state);
    if (key === last) return;
    last = key;
    for (const [k, v] of Object.entries(state)) model.set(k, v);
    model.save_changes();
  }
  const later = st => { clearTimeout(timer); timer = setTimeout(() => push(st), 60); };

  // Python's side: select(ids) and highlight(hits), through mount's controller.
  const map = () => root.querySelector('#map');
  let ctl = null;
  async function select() {
    const want = model.get('selected_ids') || [];
    if (JSON.stringify(want) === JSON.stringify(ctl.state.selection.map(i => ctl.state.pts.ids[i]))) return;
    await ctl.select(want);
  }
  function highlight() {
    ctl.highlight(model.get('highlighted') || [], model.get('highlight_note') || '');
  }

  try {
    ctl = await app.mount(root, api, {onState: later});
  } catch (e) {
    const s = root.querySelector('#status');
    if (s) s.textContent = 'Error: ' + (e && e.message ? e.message : String(e));
    return () => model.off('msg:custom', onMessage);
  }
  if ((model.get('selected_ids') || []).length) await select();
  if ((model.get('highlighted') || []).length) highlight();
  model.on('change:selected_ids', select);
  model.on('change:highlighted', highlight);
  model.on('change:highlight_note', highlight);
  const resize = () => { root.style.height = `${model.get('height')}px`; window.Plotly.Plots.resize(map()); };
  model.on('change:height', resize);
  return () => {
    model.off('change:height', resize);
    clearTimeout(timer);
    model.off('msg:custom', onMessage);
    model.off('change:selected_ids', select);
    model.off('change:highlighted', highlight);
    model.off('change:highlight_note', highlight);
    if (map() && window.Plotly) window.Plotly.purge(map());
  };
}

export default {render};
