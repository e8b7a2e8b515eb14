// The page's panels, built with createElement: every corpus string reaches the DOM as a text
// node (never innerHTML), and a link only when it is http(s).

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'hidden') el.hidden = true;
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number'
      ? document.createTextNode(String(c)) : c);
  }
  return el;
}

export function clear(el, ...children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  for (const c of children.flat()) if (c) el.appendChild(c);
  return el;
}

export function safeLink(url, text) {
  let ok = false;
  try {
    const u = new URL(url);
    ok = u.protocol === 'https:' || u.protocol === 'http:';
  } catch (e) { ok = false; }
  if (!ok) return null;
  return h('a', {href: url, target: '_blank', rel: 'noopener noreferrer', class: 'ext'}, text);
}

function why(w) {
  if (!w) return null;
  const terms = (w.shared_terms || []).map(t => t.term).slice(0, 6);
  const s = w.sentences, like = (w.library || []).map(n => n.title);  // your library's closest
  return h('div', {class: 'why'},
    like.length ? h('div', {class: 'like'}, 'like: ', like.flatMap((t, i) => [i ? '; ' : '', h('q', {}, t)])) : null,
    terms.length ? h('div', {class: 'terms'}, 'shared terms: ', terms.join(', ')) : null,
    s && s.a && s.b ? h('div', {class: 'pair'},
      h('q', {}, s.a), ' ↔ ', h('q', {}, s.b)) : null);
}

// One ranked hit: its title opens the card.
export function hitItem(hit, onOpen) {
  // The cosine first: it compares across queries (the ranking score is scaled within its list,
  // the top hit often 1.000: kept in the tooltip). A highlighted paper (not a hit) has neither.
  const has = v => v !== null && v !== undefined;
  const cos = has(hit.cosine) ? `cos ${Number(hit.cosine).toFixed(3)}` : null;
  const score = has(hit.score) ? `score ${Number(hit.score).toFixed(3)}` : null;
  const meta = [hit.year, (hit.categories || [])[0], cos || score].filter(Boolean).join(' · ');
  return h('li', {class: 'hit', dataset: {id: hit.id}},
    h('button', {class: 'title link', type: 'button', on: {click: () => onOpen(hit.id)}},
      hit.title),
    h('span', {class: 'meta', title: cos && score ? `${score}: what ranked this list` : ''},
      ` ${meta}`),
    why(hit.why));
}

// The results: a note, and first (when the box's text looked like an id or a title that names no
// paper) what it missed, its suggestions (each opens that paper) and that the words were searched.
export function resultsPanel(el, hits, note, onOpen, miss = null, onSuggest = null) {
  clear(el,
    miss ? missNote(miss, onSuggest || onOpen) : null,
    note ? h('p', {class: 'note'}, note) : null,
    hits.length ? h('ol', {class: 'hits', id: 'result-list'}, hits.map(x => hitItem(x, onOpen)))
      : h('p', {class: 'empty'}, 'No results yet: search for a paper id, a title or any text.'));
}

function missNote(miss, onSuggest) {
  const sugg = (miss.suggestions || []).slice(0, 3);
  const parts = [];
  sugg.forEach((s, i) => {
    if (i) parts.push(', ');
    parts.push(h('button', {type: 'button', class: 'link suggestion', dataset: {id: s.id},
      title: s.id, on: {click: () => onSuggest(s.id)}}, s.title || s.id));
  });
  let message = String(miss.message || '');
  if (message) message = message[0].toUpperCase() + message.slice(1);
  return h('p', {class: 'miss', id: 'miss', role: 'status', dataset: {kind: miss.kind || ''}},
    message,
    sugg.length ? [' — did you mean: ', ...parts, '?'] : null,
    ' Showing papers about these words instead.');
}

// A paper's card: its fields, link, buttons and related papers (filled in later).
export function cardPanel(el, p, actions) {
  const link = safeLink(p.url, p.url);
  clear(el,
    h('div', {class: 'card', id: 'paper-card', dataset: {id: p.id}},
      h('button', {class: 'close', type: 'button', 'aria-label': 'close',
        on: {click: actions.close}}, '×'),
      h('h3', {class: 'card-title'}, p.title),
      h('p', {class: 'authors'}, (p.authors || []).join(', ') + (p.et_al ? ' et al.' : '')),
      h('p', {class: 'meta'},
        [p.date || p.year, (p.categories || []).join(' '), p.topic_label ? 'topic: ' + p.topic_label : '']
          .filter(Boolean).join(' · ')),
      h('p', {class: 'id'}, p.id, ' ', link),
      h('p', {class: 'abstract'}, p.abstract),
      h('div', {class: 'buttons'},
        h('button', {type: 'button', id: 'more-like', on: {click: () => actions.more(p.id)}},
          'more like this'),
        h('button', {type: 'button', id: 'less-like', on: {click: () => actions.less(p.id)}},
          'less like this'),
        h('button', {type: 'button', id: 'show-on-map', on: {click: () => actions.show(p.id)}},
          'show on map')),
      h('h4', {}, 'Related'),
      h('div', {class: 'related', id: 'card-related'}, h('p', {class: 'note'}, 'loading…'))));
}

export function relatedInto(el, hits, onOpen) {
  clear(el, hits.length ? h('ol', {class: 'hits'}, hits.map(x => hitItem(x, onOpen)))
    : h('p', {class: 'empty'}, 'no related papers pass the filters'));
}

// The selection as a table, sortable by year and title; its buttons act on the whole selection.
export function selectionPanel(el, rows, sort, actions) {
  if (!rows.length) { clear(el); el.hidden = true; return; }
  el.hidden = false;
  const key = sort.key, dir = sort.dir;
  const sorted = rows.slice().sort((a, b) => {
    const va = a[key] ?? '', vb = b[key] ?? '';
    return (va < vb ? -1 : va > vb ? 1 : 0) * dir;
  });
  const th = (k, label) => h('th', {},
    h('button', {type: 'button', class: 'link sort', dataset: {key: k},
      on: {click: () => actions.sort(k)}}, label + (key === k ? (dir > 0 ? ' ▲' : ' ▼') : '')));
  clear(el,
    h('h2', {}, `Selection: ${rows.length} papers`),
    h('div', {class: 'buttons'},
      h('button', {type: 'button', id: 'like-these', on: {click: actions.like}},
        'papers like these'),
      ...['csv', 'jsonl', 'bibtex', 'ris', 'csl-json'].map(f => h('button', {type: 'button',
        id: 'export-' + f, on: {click: () => actions.export(f)}}, 'export ' + {csv: 'CSV',
        jsonl: 'JSON Lines', bibtex: 'BibTeX', ris: 'RIS', 'csl-json': 'CSL-JSON'}[f])),
      h('button', {type: 'button', id: 'clear-selection', on: {click: actions.clear}}, 'clear')),
    h('table', {class: 'selection', id: 'selection-table'},
      h('colgroup', {}, h('col', {class: 'c-year'}), h('col', {class: 'c-title'}),
        h('col', {class: 'c-id'})),
      h('thead', {}, h('tr', {}, th('year', 'year'), th('title', 'title'), h('th', {}, 'id'))),
      h('tbody', {}, sorted.map(r => h('tr', {dataset: {id: r.id}},
        h('td', {}, r.year ?? ''),
        h('td', {class: 'title'}, h('button', {type: 'button', class: 'link',
          on: {click: () => actions.open(r.id)}}, r.title)),
        h('td', {class: 'id', title: r.id}, r.id))))));
}

// The topics as the map's legend: a swatch in the topic's colour shows or hides its points
// (aria-pressed: shown), the label zooms the map to it; actions.edit(topic): its edit button
// (explorer serve --edit, edits.js), or none.
export function topicsPanel(el, topics, hidden, actions) {
  const off = new Set(hidden);
  clear(el, h('h2', {}, `Topics (${topics.length})`),
    h('div', {class: 'buttons'},
      h('button', {type: 'button', id: 'topics-all', on: {click: actions.showAll}}, 'show all'),
      h('button', {type: 'button', id: 'topics-none', on: {click: actions.hideAll}}, 'hide all')),
    h('ol', {class: 'topics legend', id: 'topic-list'}, topics.map(t => {
      const sw = h('button', {type: 'button', class: 'swatch', 'aria-pressed': String(!off.has(t.id)),
        'aria-label': 'show or hide this topic', title: 'show or hide this topic on the map',
        dataset: {topic: t.id}, on: {click: () => actions.toggle(t.id)}});
      sw.style.background = off.has(t.id) ? 'transparent' : String(t.color || '#999');
      sw.style.borderColor = String(t.color || '#999');
      return h('li', {dataset: {topic: t.id}, class: off.has(t.id) ? 'off' : null}, sw,
        h('button', {type: 'button', class: 'link topic', on: {click: () => actions.zoom(t.id)}},
          t.label),
        h('span', {class: 'meta'}, ` ${t.size} papers`),
        actions.edit ? actions.edit(t) : null,
        h('ul', {class: 'tops'}, (t.papers || []).slice(0, 3).map(p => h('li', {}, p.title))));
    })));
}

// The query's examples as chips: each {key, kind: 'pos'|'neg'|'group', text, remove}; the text
// is ellipsised and the × always shows; "clear all" when there are two or more.
export function chips(el, items, onClearAll) {
  const chip = c => h('span', {class: 'chip ' + c.kind, dataset: {id: c.key}, title: c.text},
    h('span', {class: 'label'}, (c.kind === 'neg' ? '− ' : '+ ') + c.text),
    h('button', {type: 'button', class: 'x', 'aria-label': 'remove', on: {click: c.remove}}, '×'));
  clear(el, items.map(chip), items.length >= 2
    ? h('button', {type: 'button', class: 'link clear-chips', id: 'clear-chips', on: {click: onClearAll}},
      'clear all') : null);
  el.hidden = !items.length;
}
