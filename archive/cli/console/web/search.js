/* Search page: the filters live in the page's address, so a search can be bookmarked, shared
 * with a colleague (who signs in to their own console) and returned to with Back. */
'use strict';

(() => {
  const form = document.getElementById('filters');
  const tbody = document.querySelector('#results tbody');
  const TEXT_FIELDS = ['party', 'purpose', 'tag', 'user', 'device', 'state'];
  const { el } = cr;

  function syncPeriod() {
    const custom = form.period.value === 'custom';
    form.from.disabled = !custom;
    form.to.disabled = !custom;
  }

  /* The form as the page's address keeps it. */
  function formState() {
    const q = new URLSearchParams();
    if (form.period.value) q.set('period', form.period.value);
    if (form.period.value === 'custom') {
      if (form.from.value) q.set('from', form.from.value);
      if (form.to.value) q.set('to', form.to.value);
    }
    q.set('tz', form.tz.value);
    for (const f of TEXT_FIELDS) {
      const v = form[f].value.trim();
      if (v) q.set(f, v);
    }
    return q;
  }

  /* The console's query for that state: a period becomes from/to in the console's words. */
  function apiQuery(state) {
    const q = new URLSearchParams(state);
    const p = q.get('period');
    q.delete('period');
    if (p === 'today') q.set('from', 'today');
    else if (p === 'yesterday') { q.set('from', 'yesterday'); q.set('to', 'today'); }
    else if (p === '7d' || p === '30d') q.set('from', p);
    else if (p !== 'custom') { q.delete('from'); q.delete('to'); }
    return q;
  }

  function fill(state) {
    form.period.value = state.get('period') || '';
    form.from.value = state.get('from') || '';
    form.to.value = state.get('to') || '';
    cr.zoneOptions(form.tz, state.get('tz'));
    for (const f of TEXT_FIELDS) form[f].value = state.get(f) || '';
    syncPeriod();
  }

  function render(calls) {
    const tz = form.tz.value;
    calls.sort((a, b) => (b.start || '').localeCompare(a.start || ''));
    tbody.replaceChildren(...calls.map((c) => el('tr', {},
      el('td', {}, cr.callLink(c, cr.fmtTime(c.start, tz))),
      el('td', { class: 'num', text: cr.fmtDuration(c.seconds) }),
      el('td', { text: c.purpose || '(none)' }),
      el('td', { text: c.user || '–' }),
      el('td', { text: cr.fmtTags(c.tags) || '–' }),
      el('td', { text: c.device || '–' }),
      el('td', { text: c.application || '–' }),
      el('td', {}, cr.stateBadge(c.state)))));
  }

  async function search(state) {
    cr.say('status', 'Searching…');
    try {
      const res = await cr.get('/api/calls?' + apiQuery(state).toString());
      render(res.calls);
      cr.say('status', res.calls.length === 1 ? '1 call found.' :
                       `${res.calls.length} calls found.`, 'ok');
    } catch (e) {
      tbody.replaceChildren();
      cr.say('status', e.message, 'error');
    }
  }

  form.period.addEventListener('change', syncPeriod);
  form.tz.addEventListener('change', () => cr.setZone(form.tz.value));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const state = formState();
    history.replaceState(null, '', '?' + state.toString());
    search(state);
  });
  form.addEventListener('reset', () => setTimeout(() => {
    cr.zoneOptions(form.tz);
    syncPeriod();
  }));

  const initial = new URLSearchParams(location.search);
  fill(initial);
  search(formState());
})();
