// Topic edits on the page: only when the server was started with `explorer serve --edit`
// (/api/info's `editable`); a read-only server's page has none of this. Each topic of the list
// gets an edit button that opens a small form in place (rename; merge into a sibling topic), and
// a paper's card a "Move to topic" form. Each is one POST /api/topics/edit, made through the same
// Explorer API as `explorer topics rename|merge|move`; after it the page reloads its topics
// (`changed`). A refused edit shows the server's one-line message in the form. Topic labels are
// corpus text: they reach the DOM as text (h(), textContent), never as markup.
import {h} from './panels.js';

// `api`: the page's transport; `status(msg)`: the header's status line; `changed()`: reload the
// topics (info and points) and redraw what shows them.
export function topicEditor({api, status, changed}) {
  // One edit: true when it was made. A refusal goes into `msg` (the form stays open).
  async function send(body, msg) {
    msg.textContent = '';
    msg.hidden = true;
    status('saving…');
    try {
      await api('edit', body);
    } catch (e) {
      status('');
      msg.textContent = 'Error: ' + (e && e.message ? e.message : 'the server did not answer');
      msg.hidden = false;
      return false;
    }
    status('');
    try { await changed(); } catch (e) {
      status('Error: the edit was made, but the topics did not reload: ' + (e && e.message ? e.message : ''));
    }
    return true;
  }

  const errorLine = () => h('p', {class: 'edit-error', role: 'alert', hidden: true});

  // The form for topic `t` ({key, label}): rename it, or merge it into one of `siblings`
  // (the topics of its level under the same parent; its papers go there, that label stays).
  function form(t, siblings, close) {
    const label = h('input', {type: 'text', class: 'edit-label', maxlength: 200,
      'aria-label': `New label for topic ${t.label}`});
    label.value = t.label;
    const others = siblings.filter(s => s.key !== t.key);
    const into = others.length ? h('select', {class: 'edit-merge',
      'aria-label': `Merge topic ${t.label} into`},
      h('option', {value: ''}, '(keep it)'),
      others.map(s => h('option', {value: s.key}, `${s.label} (${s.size})`))) : null;
    // a topic merged away keeps no label: the name field is off while a merge is chosen
    if (into) into.addEventListener('change', () => { label.disabled = into.value !== ''; });
    const msg = errorLine();
    async function save(e) {
      e.preventDefault();
      const other = into ? into.value : '', name = label.value.trim();
      let body = null;
      if (other) body = {op: 'merge', topic: other, other: t.key};
      else if (name !== t.label) body = {op: 'rename', topic: t.key, label: name};
      if (!body) { close(); return; }
      if (f.dataset.busy) return;  // one edit at a time: a second click waits for the first
      f.dataset.busy = 'true';
      try { await send(body, msg); } finally { delete f.dataset.busy; }
      // made: `changed` drew the list again, without this form; refused: it stays, saying why
    }
    const f = h('form', {class: 'topic-edit', dataset: {key: t.key}, on: {submit: save,
      keydown: e => { if (e.key === 'Escape') { e.preventDefault(); close(); } }}},
      h('label', {}, 'rename ', label),
      into ? h('label', {}, 'merge into ', into) : null,
      h('div', {class: 'buttons'},
        h('button', {type: 'submit', class: 'edit-save'}, 'Save'),
        h('button', {type: 'button', class: 'edit-cancel', on: {click: close}}, 'Cancel')),
      msg);
    return {f, label};
  }

  // The edit button of topic `t` ({key, label, size}) among its `siblings`; a click opens (or
  // closes) its form right after the button.
  function button(t, siblings) {
    const b = h('button', {type: 'button', class: 'edit-topic', 'aria-label': `Edit topic ${t.label}`,
      'aria-expanded': 'false', title: 'rename or merge this topic', dataset: {key: t.key}}, '✎');
    let open = null;
    const close = () => {
      if (!open) return;
      open.remove(); open = null;
      b.setAttribute('aria-expanded', 'false');
      b.focus();
    };
    b.addEventListener('click', () => {
      if (open) { close(); return; }
      const made = form(t, siblings, close);
      open = made.f;
      b.after(open);
      b.setAttribute('aria-expanded', 'true');
      made.label.focus();
      made.label.select();
    });
    return b;
  }

  // "Move to topic" on the card of paper `p` (/api/paper: its `topic`, an id at the default
  // level): a select of `topics` ({id, key, label, size}), its own topic left out.
  function card(el, p, topics) {
    const box = el.querySelector('#paper-card');
    if (!box || box.querySelector('#move-paper')) return;
    const to = h('select', {id: 'move-topic', 'aria-label': 'Move this paper to topic'},
      h('option', {value: ''}, 'choose a topic…'),
      topics.filter(t => t.id !== p.topic).map(t => h('option', {value: t.key}, `${t.label} (${t.size})`)));
    const msg = errorLine();
    const f = h('form', {class: 'move-paper', id: 'move-paper', on: {submit: async e => {
      e.preventDefault();
      if (to.value) await send({op: 'move', topic: to.value, paper: p.id}, msg);
    }}},
      h('label', {}, 'Move to topic ', to), ' ',
      h('button', {type: 'submit', id: 'move-go'}, 'Move'),
      msg);
    const buttons = box.querySelector('.buttons');
    if (buttons) buttons.after(f); else box.appendChild(f);
  }

  return {button, card};
}
