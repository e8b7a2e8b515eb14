// Your library as a layer of the map (`explorer serve --library FILE`, the widget's library=):
// its papers as hollow circles (one the corpus lacks where its text lands on the map), a map
// tool that shows or hides them, "Select library" (the ones the corpus holds, into the
// selection), and "Recommended": the papers most like the library, listed and marked as a
// query's hits, each naming the library papers it is like. Corpus and library text reach the
// DOM as text nodes only, and Plotly's hover labels through esc().
import {h, clear, safeLink} from './panels.js';
import {esc} from './plot.js';

export const LAYER = 'your library';

function hover(p) {
  const where = p.row === null ? ' (not in this corpus: placed by its text)' : '';
  return `<b>${LAYER}</b>${where}<br>${esc(p.title)}` + (p.year ? ` · ${p.year}` : '');
}

// ctx: {api, map, tools (the map's toolbar), card (the card's section), status(msg),
// select(ids) (into the selection), showHits(hits, note), changed() (the layer was toggled)}. Answers the layer's controller,
// or null when the library could not be read (the status line says why).
export async function libraryLayer(ctx) {
  let data;
  try { data = await ctx.api('library', {}); } catch (e) {
    ctx.status('Error: your library: ' + (e && e.message ? e.message : 'no answer'));
    return null;
  }
  const papers = data.papers;
  await Plotly.addTraces(ctx.map, {type: 'scattergl', mode: 'markers', name: LAYER,
    x: papers.map(p => p.x), y: papers.map(p => p.y), hovertext: papers.map(hover),
    hoverinfo: 'text', customdata: papers.map(p => p.corpus_id || p.id), showlegend: false,
    marker: {symbol: 'circle-open', size: 15, color: '#111', line: {width: 2}},
    selected: {marker: {opacity: 1}}, unselected: {marker: {opacity: 1}}});
  const trace = ctx.map.data.length - 1;
  const likes = new Map(data.recommended.map(x => [x.id, (x.why && x.why.library) || []]));
  const mine = new Set(papers.filter(p => p.corpus_id).map(p => p.corpus_id));
  const L = {data, trace, shown: true};
  const summary = `${data.count} papers, ${data.in_corpus} of them in this corpus`;

  const toggle = h('button', {type: 'button', id: 'tool-library', class: 'tool library',
    'aria-pressed': 'true', title: `show or hide your library on the map (${data.name}: ${summary})`,
    on: {click: () => L.show(!L.shown)}}, h('span', {class: 'ring', 'aria-hidden': 'true'}),
  `Library (${data.count})`);
  ctx.tools.append(toggle,
    h('button', {type: 'button', id: 'select-library', class: 'tool',
      title: 'select the papers of your library that this corpus holds',
      on: {click: () => L.select()}}, 'Select library'),
    h('button', {type: 'button', id: 'library-recommended', class: 'tool',
      title: 'the papers most like your library, as the results',
      on: {click: () => L.recommend()}}, 'Recommended'));

  L.show = async (shown, quiet = false) => {
    L.shown = shown;
    toggle.setAttribute('aria-pressed', String(shown));
    ctx.map.dataset.libraryShown = String(shown);
    await Plotly.restyle(ctx.map, {visible: [shown]}, [trace]);
    if (ctx.changed && !quiet) ctx.changed();  // the URL keeps a hidden layer (lib=off)
  };
  L.select = () => ctx.select(papers.filter(p => p.corpus_id).map(p => p.corpus_id));
  L.recommend = () => {
    const since = data.since ? `, dated ${data.since} or later` : '';
    ctx.showHits(data.recommended,
      `recommended for your library (${data.name}: ${summary})${since}: the papers most like it`);
  };
  // A click on the layer: a paper the corpus holds opens as any (false: the page opens it),
  // one it lacks shows what the library says of it.
  L.click = pt => {
    if (pt.curveNumber !== trace) return false;
    const p = papers[pt.pointIndex];
    if (!p || p.corpus_id) return false;
    outsideCard(ctx.card, p);
    return true;
  };
  // A paper's card says whether it is in the library, and a recommended one what it is like.
  L.annotate = (card, id) => {
    const box = card.querySelector('.card');
    if (!box) return;
    const near = likes.get(id);
    if (near && near.length) {
      box.insertBefore(h('p', {class: 'like', id: 'card-like'}, 'Recommended for your library, like: ',
        near.flatMap((n, i) => [i ? '; ' : '', h('q', {}, n.title)])), box.querySelector('.abstract'));
    } else if (mine.has(id)) {
      box.insertBefore(h('p', {class: 'like', id: 'card-like'}, 'In your library'),
        box.querySelector('.abstract'));
    }
  };
  ctx.map.dataset.libraryPoints = String(papers.length);
  ctx.map.dataset.libraryShown = 'true';
  return L;
}

// A library paper the corpus lacks: its title, authors, year and link, and that it was placed
// on the map by its text (the corpus has no card for it).
function outsideCard(el, p) {
  clear(el, h('div', {class: 'card', id: 'paper-card', dataset: {id: p.id, library: 'outside'}},
    h('button', {class: 'close', type: 'button', 'aria-label': 'close', on: {click: () => clear(el)}}, '×'),
    h('h3', {class: 'card-title'}, p.title),
    h('p', {class: 'authors'}, (p.authors || []).join(', ') + (p.et_al ? ' et al.' : '')),
    h('p', {class: 'meta'}, p.year ? String(p.year) : ''),
    h('p', {class: 'id'}, p.id, ' ', p.url ? safeLink(p.url, p.url) : null),
    h('p', {class: 'like', id: 'card-like'},
      'In your library, not in this corpus: placed on the map where its text lands.')));
}
