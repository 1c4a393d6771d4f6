/* Subject requests page: find a person's calls (by tag, or by user and period), download
 * their export, erase them. The selection lives in the page's address. */
'use strict';

(() => {
  const { el } = cr;
  const form = document.getElementById('find');
  let selection = null; /* the query of the calls shown */

  function by() {
    return form.by.value;
  }

  function syncBy() {
    const user = by() === 'user';
    document.getElementById('by-tag').hidden = user;
    document.getElementById('by-user').hidden = !user;
    for (const f of document.querySelectorAll('.by-user')) f.hidden = !user;
  }

  function query() {
    const q = new URLSearchParams();
    if (by() === 'tag') {
      q.set('tag', form.tag.value.trim());
    } else {
      q.set('user', form.user.value.trim());
      if (form.from.value) q.set('from', form.from.value);
      if (form.to.value) q.set('to', form.to.value);
      q.set('tz', form.tz.value);
    }
    return q;
  }

  function render(res) {
    const tbody = document.querySelector('#calls tbody');
    document.getElementById('subject-caption').textContent = `Calls of ${res.subject}`;
    tbody.replaceChildren(...res.calls.map((c) => el('tr', {},
      el('td', {}, cr.callLink(c, cr.fmtTime(c.start))),
      el('td', { class: 'num', text: cr.fmtDuration(c.seconds) }),
      el('td', { text: c.purpose || '(none)' }),
      el('td', { text: c.legal_basis || '–' }),
      el('td', { text: c.expires ? cr.fmtTime(c.expires) : '–' }),
      el('td', { text: (c.access || []).join(', ') || '–' }),
      el('td', {}, cr.stateBadge(c.state)))));
    const n = res.exportable.length;
    const link = document.getElementById('export-link');
    link.hidden = n === 0;
    link.href = '/api/subject/export.tar?' + selection.toString();
    link.textContent = `Download the export of ${n} recording${n === 1 ? '' : 's'} (.tar)`;
    document.getElementById('erase-button').textContent = `Erase ${n} recording${n === 1 ? '' : 's'}`;
    document.getElementById('erase-button').disabled = n === 0;
    document.getElementById('found').hidden = false;
  }

  async function find(q) {
    selection = q;
    cr.say('status', 'Looking…');
    try {
      const res = await cr.get('/api/subject/calls?' + q.toString());
      render(res);
      cr.say('status', res.calls.length ? `${res.calls.length} call${res.calls.length === 1 ? '' : 's'} of ${res.subject}.`
                                        : `No call of ${res.subject} that your role may see.`, 'ok');
    } catch (e) {
      document.getElementById('found').hidden = true;
      cr.say('status', e.message, 'error');
    }
  }

  form.addEventListener('change', (ev) => {
    if (ev.target.name === 'by') syncBy();
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = query();
    history.replaceState(null, '', '?' + q.toString());
    find(q);
  });

  document.getElementById('erase').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = Object.fromEntries(selection.entries());
    body.reason = document.getElementById('erase-reason').value.trim();
    const list = document.getElementById('erase-results');
    try {
      const r = await cr.post('/api/subject/erase', body);
      cr.say('erase-status', `Erased ${r.erased} of ${r.of}.`, r.erased === r.of ? 'ok' : 'error');
      list.replaceChildren(...r.results.map((x) =>
        el('li', { text: `${x.id}: ${x.erased ? 'erased' : x.error}` })));
      find(selection);
    } catch (e) {
      cr.say('erase-status', e.message, 'error');
    }
  });

  const initial = new URLSearchParams(location.search);
  cr.zoneOptions(form.tz, initial.get('tz'));
  if (initial.get('user')) {
    form.by.value = 'user';
    form.user.value = initial.get('user');
    form.from.value = initial.get('from') || '';
    form.to.value = initial.get('to') || '';
  } else {
    form.tag.value = initial.get('tag') || '';
  }
  syncBy();
  if (initial.get('tag') || initial.get('user')) find(query());
})();
