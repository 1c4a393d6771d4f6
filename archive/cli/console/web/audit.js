/* Audit log page: the archive's log, checked and filtered by the console. */
'use strict';

(() => {
  const { el } = cr;
  const form = document.getElementById('filters');
  const FIELDS = ['from', 'to', 'actor', 'call', 'action', 'outcome'];

  function query() {
    const q = new URLSearchParams();
    for (const f of FIELDS) {
      const v = form.elements[f].value.trim();
      if (v) q.set(f, v);
    }
    q.set('tz', form.tz.value);
    return q;
  }

  async function load(q) {
    cr.say('chain', 'Loading…');
    const tbody = document.querySelector('#entries tbody');
    try {
      const res = await cr.get('/api/audit?' + q.toString());
      const tz = form.tz.value;
      tbody.replaceChildren(...res.entries.map((e) => el('tr', {},
        el('td', { class: 'num', text: e.seq }),
        el('td', { text: cr.fmtTime(e.time, tz) }),
        el('td', { text: e.actor }),
        el('td', { text: e.role }),
        el('td', { text: e.action }),
        el('td', {}, e.call ? cr.callLink({ id: e.call }, el('code', { text: e.call.slice(0, 12) + '…' })) : '–'),
        el('td', {}, el('span', { class: `badge outcome-${e.outcome}`, text: e.outcome })),
        el('td', { text: e.detail || '' }))));
      const shown = `${res.entries.length} of ${res.matched} matching entries shown (${res.total} in the log).`;
      cr.say('chain', res.intact ? `Chain intact. ${shown}` : `Chain BROKEN: ${res.problem} ${shown}`,
             res.intact ? 'ok' : 'error');
    } catch (e) {
      tbody.replaceChildren();
      cr.say('chain', e.message, 'error');
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = query();
    history.replaceState(null, '', '?' + q.toString());
    load(q);
  });

  const initial = new URLSearchParams(location.search);
  for (const f of FIELDS) form.elements[f].value = initial.get(f) || '';
  cr.zoneOptions(form.tz, initial.get('tz'));
  load(query());
})();
