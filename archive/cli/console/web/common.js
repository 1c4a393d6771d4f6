/* callrec console: what every page uses. The pages build their content with DOM calls (never
 * innerHTML), so text from the archive is always shown as text. */
'use strict';

const cr = (() => {
  let sessionPromise = null;

  async function answer(res) {
    let body = null;
    try {
      body = await res.json();
    } catch (e) {
      body = null;
    }
    if (!res.ok) {
      const err = new Error(body && body.error ? body.error : `${res.status} ${res.statusText}`);
      err.status = res.status;
      throw err;
    }
    return body;
  }

  /* GET a JSON answer of the console; throws an Error carrying the refusal's text. */
  async function get(url) {
    return answer(await fetch(url, { credentials: 'same-origin',
                                     headers: { Accept: 'application/json' } }));
  }

  /* Who we are at which archive, and this session's CSRF token. */
  function session() {
    if (!sessionPromise) sessionPromise = get('/api/session');
    return sessionPromise;
  }

  /* POST a change (JSON body) with the session's CSRF token. */
  async function post(url, data) {
    const s = await session();
    return answer(await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf,
                 Accept: 'application/json' },
      body: JSON.stringify(data || {}),
    }));
  }

  /* el('a', {href: '/x', class: 'c'}, 'text', child...) */
  function el(tag, attrs, ...kids) {
    const svg = ['svg', 'g', 'rect', 'line', 'path', 'text', 'title'].includes(tag);
    const e = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag)
                  : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids) {
      if (k === null || k === undefined) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }

  /* A message in a status region: kind 'error' (announced at once), 'ok' or ''. */
  function say(target, text, kind) {
    const t = typeof target === 'string' ? document.getElementById(target) : target;
    t.textContent = text || '';
    t.className = 'message' + (kind ? ' ' + kind : '');
    if (kind === 'error') t.setAttribute('role', 'alert');
    else t.setAttribute('role', 'status');
  }

  /* --- time zones: 'local' (this computer's), 'UTC', or an offset '+05:30' -------------- */
  const TZ_KEY = 'callrec-console-tz';

  function localZoneName() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || 'this computer';
    } catch (e) {
      return 'this computer';
    }
  }

  function offsetText(min) {
    const s = min < 0 ? '-' : '+', a = Math.abs(min);
    return `${s}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  }

  /* Minutes east of UTC of zone tz at the instant ms. */
  function zoneOffset(tz, ms) {
    if (tz === 'local') return -new Date(ms).getTimezoneOffset();
    if (tz === 'UTC') return 0;
    const m = /^([+-])(\d\d):(\d\d)$/.exec(tz);
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  }

  function zone() {
    return localStorage.getItem(TZ_KEY) || 'local';
  }

  function setZone(tz) {
    localStorage.setItem(TZ_KEY, tz);
  }

  /* Fill a <select> with the zones, choosing the one in use. */
  function zoneOptions(select, chosen) {
    const offsets = [-720, -660, -600, -570, -540, -480, -420, -360, -300, -240, -210, -180,
                     -120, -60, 60, 120, 180, 210, 240, 270, 300, 330, 345, 360, 390, 420, 480,
                     525, 540, 570, 600, 630, 660, 720, 765, 780, 840];
    select.replaceChildren(
      el('option', { value: 'local', text: `This computer (${localZoneName()})` }),
      el('option', { value: 'UTC', text: 'UTC' }),
      ...offsets.map((m) => el('option', { value: offsetText(m), text: `UTC${offsetText(m)}` })));
    select.value = chosen || zone();
  }

  const pad = (n) => String(n).padStart(2, '0');

  /* "2026-12-03 08:46:00" of an archive time (ISO text) in zone tz, with the zone. */
  function fmtTime(iso, tz) {
    if (!iso) return '–';
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return iso;
    tz = tz || zone();
    const off = zoneOffset(tz, ms), d = new Date(ms + off * 60000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
           `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ` +
           (tz === 'UTC' ? 'UTC' : offsetText(off));
  }

  function fmtDuration(s) {
    if (typeof s !== 'number' || !Number.isFinite(s)) return '–';
    const t = Math.round(s), h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60);
    return h ? `${h}:${pad(m)}:${pad(t % 60)}` : `${m}:${pad(t % 60)}`;
  }

  /* "remote=+31201234567, ticket=4711" */
  function fmtTags(tags) {
    return Object.entries(tags || {}).map(([k, v]) => `${k}=${v}`).join(', ');
  }

  const STATES = { recording: 'Recording', complete: 'Complete', held: 'On legal hold',
                   erased: 'Erased' };
  function stateBadge(state) {
    return el('span', { class: `badge state-${state || 'unknown'}`,
                        text: STATES[state] || state || 'unknown' });
  }

  function callLink(call, text) {
    return el('a', { href: `/call.html?id=${encodeURIComponent(call.id)}` }, text);
  }

  /* A valid call id from the address (?id=...), or null. */
  function callIdFromAddress() {
    const id = new URLSearchParams(location.search).get('id') || '';
    return /^[0-9a-f]{32}$/.test(id) ? id : null;
  }

  const PAGES = [['/', 'Search'], ['/holds.html', 'Holds'], ['/subject.html', 'Subject requests'],
                 ['/audit.html', 'Audit log']];

  /* The page header: the pages, who is signed in where, and signing out. */
  async function header() {
    const top = document.getElementById('top');
    if (!top) return;
    const here = location.pathname === '/index.html' ? '/' : location.pathname;
    const who = el('p', { class: 'who' });
    top.replaceChildren(
      el('a', { class: 'skip', href: '#main', text: 'Skip to content' }),
      el('span', { class: 'brand', text: 'callrec console' }),
      el('nav', { 'aria-label': 'Pages' },
         el('ul', {}, ...PAGES.map(([href, name]) => el('li', {},
           el('a', { href, 'aria-current': href === here ? 'page' : null, text: name }))))),
      who);
    try {
      const s = await session();
      who.replaceChildren(
        el('span', { text: `Operator ${s.identity} at the archive ${s.archive}` }),
        ' ',
        el('button', { type: 'button', class: 'link', text: 'Sign out',
                       onclick: async () => {
                         try { await post('/api/logout', {}); } catch (e) { /* gone anyway */ }
                         location.assign('/');
                       } }));
    } catch (e) {
      who.textContent = e.message;
    }
  }

  document.addEventListener('DOMContentLoaded', header);

  return { get, post, session, el, say, zone, setZone, zoneOptions, zoneOffset, offsetText,
           fmtTime, fmtDuration, fmtTags, stateBadge, callLink, callIdFromAddress };
})();
