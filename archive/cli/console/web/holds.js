/* Holds page: the calls on hold (the archive's list, state "held") and their release. */
'use strict';

(() => {
  const { el } = cr;
  const tbody = document.querySelector('#holds tbody');
  let n = 0;

  function releaseForm(c) {
    const rid = `reason-${++n}`, sid = `release-status-${n}`;
    const requested = c.hold && c.hold.release_requested_by;
    const input = el('input', { id: rid, type: 'text', required: true, maxlength: 500, size: 24 });
    const status = el('p', { id: sid, class: 'message', role: 'status' });
    const form = el('form', { class: 'inline' },
      el('div', { class: 'field' }, el('label', { for: rid, text: 'Reason' }), input),
      el('button', { type: 'submit', text: requested ? 'Complete the release' : 'Request release' }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const r = await cr.post(`/api/calls/${c.id}/release`, { reason: input.value.trim() });
        cr.say(status, r.message, 'ok');
        setTimeout(load, 1500);
      } catch (e) {
        cr.say(status, e.message, 'error');
      }
    });
    return el('div', {},
      requested ? el('p', { text: `Requested by ${requested}.` }) : null, form, status);
  }

  async function load() {
    cr.say('status', 'Loading…');
    try {
      const res = await cr.get('/api/calls?state=held');
      tbody.replaceChildren(...res.calls.map((c) => el('tr', {},
        el('td', {}, cr.callLink(c, cr.fmtTime(c.start))),
        el('td', { text: c.purpose || '(none)' }),
        el('td', { text: c.hold ? c.hold.reason : '' }),
        el('td', { text: c.hold && c.hold.by ? c.hold.by : '–' }),
        el('td', {}, releaseForm(c)))));
      cr.say('status', res.calls.length ? `${res.calls.length} on hold.` :
                                           'No call you may see is on hold.', 'ok');
    } catch (e) {
      cr.say('status', e.message, 'error');
    }
  }

  load();
})();
