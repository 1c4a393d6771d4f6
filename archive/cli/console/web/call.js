/* Call page: the player (audio streamed by the console from the export it holds in memory),
 * both channels and their gaps on a timeline drawn from the manifest and the audio's loudness,
 * details, the integrity check, hold, export and erasure. */
'use strict';

(() => {
  const { el } = cr;
  const id = cr.callIdFromAddress();
  const player = document.getElementById('player');
  const svg = document.getElementById('timeline');
  let call = null;
  let envelope = null;

  const CHANNELS = { 1: 'local (channel 1)', 2: 'remote (channel 2)' };
  const CAUSES = { pause: 'paused by the user', dropped: 'audio dropped', lag: 'agent too slow',
                   agent: 'agent unavailable', spool_full: 'spool full', evicted: 'evicted from a full spool',
                   corrupt: 'corrupt in the spool', missing: 'never received' };

  function durationOf(c) {
    const m = c.manifest || {};
    return typeof m.seconds === 'number' ? m.seconds : (c.seconds || 0);
  }

  /* Gaps and disclosure events, each with the rows (channels) it concerns. */
  function events(c) {
    const m = c.manifest || c;
    const out = [];
    for (const g of m.gaps || []) {
      out.push({ kind: 'gap', at: g.start_ms / 1000, len: g.length_ms / 1000,
                 channels: g.channel === 1 || g.channel === 2 ? [g.channel] : [1, 2],
                 what: `Gap: ${CAUSES[g.cause] || g.cause}` });
    }
    const d = m.disclosure || {};
    for (const e of d.events || []) {
      out.push({ kind: 'disclosure', at: e.start_ms / 1000, len: e.length_ms / 1000,
                 channels: [1],
                 what: e.kind === 'tone' ? 'Disclosure tone' :
                       e.kind === 'announce' ? 'Announcement that the call is recorded, and why'
                                             : `Disclosure: ${e.kind}` });
    }
    out.sort((a, b) => a.at - b.at);
    return out;
  }

  /* --- the timeline ----------------------------------------------------------------------- */
  const GUTTER = 120, ROW = 64, GAP = 12, TOP = 6;

  function geometry() {
    const width = Math.max(320, svg.parentElement.clientWidth);
    return { width, plot: width - GUTTER - 12 };
  }

  function niceStep(seconds, plot) {
    const want = seconds / Math.max(2, Math.floor(plot / 90));
    for (const s of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600]) if (s >= want) return s;
    return 7200;
  }

  function draw() {
    if (!call) return;
    const dur = durationOf(call) || 1;
    const { width, plot } = geometry();
    const x = (t) => GUTTER + Math.min(1, Math.max(0, t / dur)) * plot;
    const rowY = (ch) => TOP + (ch - 1) * (ROW + GAP);
    const parts = [];
    svg.setAttribute('width', width);
    svg.setAttribute('viewBox', `0 0 ${width} 190`);
    for (const ch of [1, 2]) {
      const y = rowY(ch);
      parts.push(el('text', { x: 8, y: y + ROW / 2 + 4, class: 'row-label',
                              text: ch === 1 ? 'Local (1)' : 'Remote (2)' }));
      parts.push(el('rect', { x: GUTTER, y, width: plot, height: ROW, class: 'row' }));
      if (envelope && envelope.peaks[ch - 1]) {
        const peaks = envelope.peaks[ch - 1], n = peaks.length, mid = y + ROW / 2;
        let d = '';
        for (let i = 0; i < n; i++) {
          const px = (GUTTER + ((i + 0.5) / n) * plot).toFixed(1);
          const h = Math.max(0.5, (peaks[i] / 1000) * (ROW / 2 - 2));
          d += `M${px} ${(mid - h).toFixed(1)}V${(mid + h).toFixed(1)}`;
        }
        parts.push(el('path', { d, class: 'wave' }));
      }
    }
    for (const ev of events(call)) {
      for (const ch of ev.channels) {
        const x0 = x(ev.at), w = Math.max(2, x(ev.at + ev.len) - x0);
        parts.push(el('rect', { x: x0, y: rowY(ch), width: w, height: ROW, class: ev.kind },
          el('title', { text: `${ev.what}, ${ev.len.toFixed(1)} s at ${cr.fmtDuration(ev.at)} (${CHANNELS[ch]})` })));
      }
    }
    const axisY = rowY(3) - GAP + 4, step = niceStep(dur, plot);
    parts.push(el('line', { x1: GUTTER, x2: GUTTER + plot, y1: axisY, y2: axisY, class: 'axis' }));
    for (let t = 0; t <= dur + 1e-9; t += step) {
      parts.push(el('line', { x1: x(t), x2: x(t), y1: axisY, y2: axisY + 5, class: 'axis' }));
      parts.push(el('text', { x: x(t), y: axisY + 18, class: 'tick', text: cr.fmtDuration(t) }));
    }
    parts.push(el('line', { id: 'playhead', x1: x(player.currentTime || 0), x2: x(player.currentTime || 0),
                            y1: TOP - 4, y2: axisY, class: 'playhead' }));
    svg.replaceChildren(...parts);
    const evs = events(call);
    document.getElementById('timeline-label').textContent =
      `Timeline of the call, ${cr.fmtDuration(dur)} long, local and remote channel. ` +
      (evs.length ? evs.map((e) => `${e.what}, ${e.len.toFixed(1)} s at ${cr.fmtDuration(e.at)}`).join('; ') + '.'
                  : 'No gaps.');
  }

  function movePlayhead() {
    const line = document.getElementById('playhead');
    if (!line || !call) return;
    const { plot } = geometry();
    const px = GUTTER + Math.min(1, (player.currentTime || 0) / (durationOf(call) || 1)) * plot;
    line.setAttribute('x1', px);
    line.setAttribute('x2', px);
  }

  function seek(t) {
    player.currentTime = t;
    player.play().catch(() => {});
  }

  svg.addEventListener('click', (ev) => {
    if (!call) return;
    const { plot } = geometry();
    const box = svg.getBoundingClientRect();
    const t = ((ev.clientX - box.left - GUTTER) / plot) * durationOf(call);
    if (t >= 0) seek(t);
  });
  player.addEventListener('timeupdate', movePlayhead);
  window.addEventListener('resize', draw);

  async function loadEnvelope() {
    try {
      const n = Math.min(4000, Math.max(50, Math.floor(geometry().plot / 2)));
      envelope = await cr.get(`/api/calls/${id}/envelope?n=${n}`);
      draw();
    } catch (e) {
      /* the player says what went wrong */
    }
  }

  /* --- details ---------------------------------------------------------------------------- */
  function row(dl, name, value) {
    if (value === null || value === undefined || value === '') return;
    dl.append(el('dt', { text: name }), el('dd', {}, value));
  }

  function details(c) {
    const m = c.manifest || {}, d = m.disclosure || {}, dl = document.getElementById('details');
    const tz = cr.zone();
    dl.replaceChildren();
    row(dl, 'State', cr.stateBadge(c.state));
    row(dl, 'Start', cr.fmtTime(c.start, tz));
    row(dl, 'End', cr.fmtTime(c.end, tz));
    row(dl, 'Length', cr.fmtDuration(durationOf(c)));
    row(dl, 'Purpose', c.purpose ? `${c.purpose}${m.description ? ' – ' + m.description : ''}` : '(none)');
    row(dl, 'Legal basis', c.legal_basis);
    row(dl, 'Kept until', c.expires ? cr.fmtTime(c.expires, tz) : null);
    row(dl, 'Who may retrieve it', (c.access || []).join(', '));
    row(dl, 'Disclosure', d.mode ? [d.mode, d.notice, d.announcement].filter(Boolean).join(': ') : null);
    row(dl, 'Parties and tags', cr.fmtTags(c.tags));
    row(dl, 'User', c.user);
    row(dl, 'Device', c.device);
    row(dl, 'Application', c.application);
    row(dl, 'Line', c.line);
    row(dl, 'Employees told by', m.employees_notice);
    row(dl, 'Policy (SHA-256)', m.policy_sha256 ? el('code', { text: m.policy_sha256.slice(0, 16) + '…' }) : null);
    if (c.erase_reason) row(dl, 'Erased', `${cr.fmtTime(c.erased_at, tz)}: ${c.erase_reason}`);
    row(dl, 'Call id', el('code', { text: c.id }));
  }

  function eventsTable(c) {
    const tbody = document.querySelector('#events tbody');
    const evs = events(c);
    tbody.replaceChildren(...evs.flatMap((e) => e.channels.length === 2 ? [{ ...e, channels: [0] }] : [e])
      .map((e) => el('tr', {},
        el('td', { class: 'num', text: cr.fmtDuration(e.at) }),
        el('td', { text: e.channels[0] === 0 ? 'both' : CHANNELS[e.channels[0]] }),
        el('td', { text: e.what }),
        el('td', { class: 'num', text: `${e.len.toFixed(1)} s` }),
        el('td', {}, el('button', { type: 'button', class: 'link', text: 'Play from here',
                                    onclick: () => seek(e.at) })))));
    if (!evs.length)
      tbody.append(el('tr', {}, el('td', { colspan: 5, text: 'None: the recording has no gaps.' })));
  }

  function holdState(c) {
    const p = document.getElementById('hold-state'), button = document.getElementById('hold-button');
    const h = c.hold;
    if (!h) {
      p.textContent = 'Not on hold. A hold keeps the recording from erasure and expiry.';
      button.textContent = 'Place hold';
      button.dataset.op = 'hold';
      return;
    }
    p.textContent = `On legal hold: ${h.reason}` + (h.by ? ` (placed by ${h.by})` : '') + '. ' +
      (h.release_requested_by ? `${h.release_requested_by} asked to release it; a second operator completes the release.`
                              : 'Releasing it takes two operators.');
    button.textContent = h.release_requested_by ? 'Complete the release' : 'Request release';
    button.dataset.op = 'release';
  }

  async function verify() {
    const result = document.getElementById('verify-result');
    const report = document.getElementById('verify-report');
    try {
      const v = await cr.get(`/api/calls/${id}/verify`);
      cr.say(result, v.verify.intact ? 'Intact: every check passed.' : 'NOT intact: see below.',
             v.verify.intact ? 'ok' : 'error');
      report.replaceChildren(...v.verify.report.map((l) => el('li', { text: l })),
                             el('li', { text: `The signed log holds ${v.tree_size} manifest${v.tree_size === 1 ? '' : 's'}.` }));
    } catch (e) {
      cr.say(result, e.message, 'error');
    }
  }

  async function load() {
    const c = (await cr.get(`/api/calls/${id}`)).call;
    call = c;
    document.title = `Call ${cr.fmtTime(c.start)} · callrec console`;
    document.getElementById('title').textContent =
      `Call of ${cr.fmtTime(c.start)}` + (c.purpose ? ` · ${c.purpose}` : '');
    details(c);
    eventsTable(c);
    holdState(c);
    document.getElementById('manifest').textContent =
      c.manifest ? JSON.stringify(c.manifest, null, 2) : '(no manifest: the call is not complete)';
    return c;
  }

  async function act(op, reason, statusId) {
    try {
      const r = await cr.post(`/api/calls/${id}/${op}`, { reason });
      cr.say(statusId, r.message, 'ok');
      return true;
    } catch (e) {
      cr.say(statusId, e.message, 'error');
      return false;
    }
  }

  document.getElementById('hold-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const reason = document.getElementById('hold-reason');
    const op = document.getElementById('hold-button').dataset.op || 'hold';
    if (await act(op, reason.value.trim(), 'hold-status')) {
      reason.value = '';
      await load().catch((e) => cr.say('status', e.message, 'error'));
    }
  });

  document.getElementById('erase-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const reason = document.getElementById('erase-reason');
    if (await act('erase', reason.value.trim(), 'erase-status')) {
      player.removeAttribute('src');
      player.load();
      await load().catch((e) => cr.say('status', e.message, 'error'));
    }
  });

  player.addEventListener('error', () => {
    if (player.getAttribute('src'))
      cr.say('status', 'The recording could not be played: see Integrity for the archive\'s answer.', 'error');
  });

  async function start() {
    if (!id) {
      cr.say('status', 'No call given: open a call from the search page.', 'error');
      return;
    }
    try {
      const c = await load();
      document.getElementById('call').hidden = false;
      draw();
      if (c.state === 'complete' || c.state === 'held') {
        player.src = `/api/calls/${id}/audio.wav`;
        document.getElementById('export-link').href = `/api/calls/${id}/export.tar`;
        verify();
        loadEnvelope();
      } else {
        document.getElementById('verify-result').textContent =
          c.state === 'erased' ? 'Erased: nothing left to check.' : 'Still recording: checked once complete.';
        document.getElementById('export-link').hidden = true;
      }
    } catch (e) {
      cr.say('status', e.message, 'error');
    }
  }

  start();
})();
