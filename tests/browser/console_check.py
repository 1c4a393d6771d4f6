"""The console in a real browser (headless Chromium over the DevTools protocol), as an
operator would use it. Run by tests/integration/console_browser.sh, which sets up the archive,
records a call and starts two consoles; prints "ok - ..." / "not ok - ..." per check.

Environment: LEGAL_URL, TRAINER_URL, DPO_URL (the consoles' sign-in addresses, of operators
legal1, trainer1 and dpo1), CALL (the call's id), SHOTS and DOWNLOADS (folders), CLI
(callrec-archive), LEGAL_CONFIG (legal1's archive.yaml), BROWSER_LOG (Chromium's messages) and
BROWSER_DONE (a file made when the session ran to its end)."""
import datetime
import json
import os
import subprocess
import sys
import traceback
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

LEGAL_URL, TRAINER_URL, DPO_URL, CALL, SHOTS, DOWNLOADS = (
    os.environ[k] for k in ('LEGAL_URL', 'TRAINER_URL', 'DPO_URL', 'CALL', 'SHOTS', 'DOWNLOADS'))
BASE, TRAINER_BASE, DPO_BASE = (u.split('/login')[0] for u in (LEGAL_URL, TRAINER_URL, DPO_URL))
failures = 0


def report(name, cond, detail=''):
    global failures
    if not cond:
        failures += 1
    print('%s - %s%s' % ('ok' if cond else 'not ok', name, (' (%s)' % detail) if detail else ''))
    sys.stdout.flush()


def step(name):
    """Run a group of checks; an exception fails it (with the reason) and the rest goes on."""
    def wrap(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - any failure is a test failure
            report(name, False, '%s: %s' % (type(e).__name__, e))
            traceback.print_exc(file=sys.stderr)
        return fn
    return wrap


def cli_show():
    out = subprocess.run([os.environ['CLI'], '--config', os.environ['LEGAL_CONFIG'], 'show', CALL,
                          '--json'], capture_output=True, text=True, timeout=30)
    return json.loads(out.stdout) if out.returncode == 0 else {}


def http(method, url, headers=None, body=None):
    """(status, body text) of a request made outside the browser."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode('utf-8', 'replace')
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode('utf-8', 'replace')


def js(s):
    return json.dumps(s)


b = cdp.Browser(width=1366, height=900, log=open(os.environ.get('BROWSER_LOG', os.devnull), 'w'))
b.downloads_to(DOWNLOADS)
seconds = None
start_iso = None


@step('sign in and search')
def _():
    global seconds, start_iso
    b.goto(LEGAL_URL)
    report('the sign-in address leads to the search page, off the token',
           b.eval('location.pathname + location.search') == '/')
    b.wait("document.querySelectorAll('#results tbody tr').length > 0", what='search results')
    ids = b.eval("[...document.querySelectorAll('#results tbody a')].map(a => a.href)")
    report('search finds the recorded call', any(CALL in h for h in ids), ids)
    call = b.eval("cr.get('/api/calls').then(r => r.calls.find(c => c.id === %s))" % js(CALL))
    seconds, start_iso = call['seconds'], call['start']
    report('the results show its tags', '+31201234567' in b.eval(
        "document.querySelector('#results tbody').textContent"))
    b.screenshot(os.path.join(SHOTS, 'console-search.png'))


def search(fields):
    """Fill the search form (select/input values), submit, and return the ids found."""
    b.eval("""(() => {
      const f = document.getElementById('filters'), v = %s;
      f.reset();
      for (const [k, x] of Object.entries(v)) f.elements[k].value = x;
      f.period.dispatchEvent(new Event('change'));
      document.getElementById('status').textContent = '';
      f.requestSubmit();
    })()""" % js(fields))
    b.wait("/found|error|refused|expected/i.test(document.getElementById('status').textContent)",
           what='search to finish')
    return b.eval("[...document.querySelectorAll('#results tbody a')].map(a => a.href.split('id=')[1])")


@step('search filters')
def _():
    start = datetime.datetime.fromisoformat(start_iso.replace('Z', '+00:00'))
    plus1 = datetime.timezone(datetime.timedelta(hours=1))

    def local(dt):  # as a datetime-local field holds it, at UTC+01:00
        return dt.astimezone(plus1).strftime('%Y-%m-%dT%H:%M:%S')
    minute = datetime.timedelta(minutes=1)
    found = search({'period': 'custom', 'tz': '+01:00', 'from': local(start - minute),
                    'to': local(start + minute)})
    report('a period in UTC+01:00 around the call finds it (times, not text, compared)',
           CALL in found, found)
    found = search({'period': 'custom', 'tz': '+01:00', 'from': local(start + minute)})
    report('a period starting a minute after the call does not', CALL not in found, found)
    report('the page keeps the filters in its address',
           'tz=%2B01%3A00' in b.eval('location.search'))
    report('period "today" finds it', CALL in search({'period': 'today'}))
    report('party: part of the remote number finds it', CALL in search({'party': '20123'}))
    report('party: another number does not', CALL not in search({'party': '4930'}))
    report('purpose contract finds it, training does not',
           CALL in search({'purpose': 'contract'}) and CALL not in search({'purpose': 'training'}))
    report('tag remote=+31201234567 finds it', CALL in search({'tag': 'remote=+31201234567'}))
    report('state erased does not list it', CALL not in search({'state': 'erased'}))
    search({'tag': 'remote'})
    report('a tag without a value is refused with a reason',
           'KEY=VALUE' in b.eval("document.getElementById('status').textContent"))
    search({})


@step('call page')
def _():
    b.goto(BASE + '/call.html?id=' + CALL)
    b.wait("document.getElementById('player').readyState >= 1", what='the audio metadata')
    duration = b.eval("document.getElementById('player').duration")
    report('the player loads the audio with the call\'s duration',
           abs(duration - seconds) < 0.05, '%.3f s, the archive says %.3f s' % (duration, seconds))
    seekable = b.eval("(() => { const a = document.getElementById('player');"
                      " return a.seekable.length ? a.seekable.end(0) : 0 })()")
    report('the whole recording is seekable (byte ranges)', abs(seekable - duration) < 0.05, seekable)
    b.eval("""new Promise((ok) => { const a = document.getElementById('player');
              a.addEventListener('seeked', () => ok(true), { once: true });
              a.currentTime = a.duration * 0.75; })""")
    report('seeking to three quarters works',
           abs(b.eval("document.getElementById('player').currentTime") - 0.75 * duration) < 0.1)
    b.wait("document.querySelectorAll('#timeline path.wave').length === 2", what='the timeline')
    report('the timeline draws both channels', True)
    gaps = b.eval("document.querySelectorAll('#timeline rect.gap').length")
    report('the timeline shows the pause on both channels', gaps == 2, gaps)
    disc = b.eval("document.querySelectorAll('#timeline rect.disclosure').length")
    report('the timeline shows the announcement', disc >= 1, disc)
    b.wait("/Intact|NOT/.test(document.getElementById('verify-result').textContent)", what='verification')
    report('the verification passes', b.eval("document.getElementById('verify-result').textContent")
           .startswith('Intact'))
    report('the manifest is shown', CALL in b.eval("document.getElementById('manifest').textContent"))
    b.eval("document.getElementById('player').currentTime = 0")
    b.screenshot(os.path.join(SHOTS, 'console-call.png'))


@step('hold from the page')
def _():
    b.eval("""(() => { document.getElementById('hold-reason').value = 'Dispute 2026-17';
              document.getElementById('hold-button').click(); })()""")
    b.wait("document.getElementById('hold-status').textContent", what='the hold answer')
    report('the page says the call is on hold',
           'legal hold' in b.eval("document.getElementById('hold-status').textContent"))
    shown = cli_show()
    report('callrec-archive show has the hold placed in the page',
           shown.get('hold', {}).get('reason') == 'Dispute 2026-17' and
           shown.get('hold', {}).get('by') == 'legal1', shown.get('hold'))
    b.wait("/Request release/.test(document.getElementById('hold-button').textContent)",
           what='the page to offer the release')


@step('CSRF and origin')
def _():
    status, text = b.eval("""fetch('/api/calls/%s/release', { method: 'POST',
        headers: { 'Content-Type': 'application/json' }, body: '{"reason":"no token"}' })
        .then(async (r) => [r.status, await r.text()])""" % CALL)
    report('a POST without the CSRF token is refused', status == 403 and 'CSRF' in text, status)
    report('and changed nothing', not cli_show().get('hold', {}).get('release_requested_by'))
    csrf = b.eval("cr.session().then(s => s.csrf)")
    cookie = '; '.join('%s=%s' % (c['name'], c['value']) for c in b.cookies())
    status, _ = http('POST', BASE + '/api/calls/%s/release' % CALL,
                     {'Cookie': cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json',
                      'Origin': 'http://evil.example'}, b'{"reason":"cross site"}')
    report('a POST from another origin is refused, even with the token', status == 403, status)
    host = BASE.split('//')[1]
    status, _ = http('GET', BASE + '/api/calls', {'Cookie': cookie, 'Host': 'evil.example'})
    report('a request for another host name is refused (DNS rebinding)', status == 421, status)
    status, _ = http('GET', BASE + '/api/calls', {'Cookie': cookie, 'Sec-Fetch-Site': 'same-site'})
    report('a request from another site of this computer is refused', status == 403, status)
    status, _ = http('GET', BASE + '/api/calls')
    report('a request without the session is refused', status == 401, status)
    status, _ = http('GET', 'http://%s/api/calls' % host, {'Cookie': cookie})
    report('the same request with the session is answered', status == 200, status)


@step('subject request')
def _():
    b.goto(BASE + '/subject.html?tag=remote%3D%2B31201234567')
    b.wait("document.querySelectorAll('#calls tbody tr').length > 0", what='the subject\'s calls')
    ids = b.eval("[...document.querySelectorAll('#calls tbody a')].map(a => a.href)")
    report('the subject page finds the call by the remote number', any(CALL in h for h in ids))
    b.screenshot(os.path.join(SHOTS, 'console-subject.png'))
    b.eval("document.getElementById('export-link').click()")
    guid, name = b.wait_download()
    os.rename(os.path.join(DOWNLOADS, guid), os.path.join(DOWNLOADS, 'subject.tar'))
    report('the export downloads as a .tar', name.startswith('callrec-export-') and name.endswith('.tar'),
           name)


@step('audit log')
def _():
    b.goto(BASE + '/audit.html')
    b.wait("document.querySelector('#chain.error')", what='the refusal of the audit log')
    report('legal1 sees that the role may not read the audit log',
           'may not read the audit log' in b.eval("document.getElementById('chain').textContent"))
    b.goto(DPO_URL)
    b.goto(DPO_BASE + '/audit.html?actor=legal1&action=hold')
    b.wait("/intact|BROKEN/.test(document.getElementById('chain').textContent)", what='the audit log')
    report('the DPO\'s audit page shows the hold placed in the page',
           CALL[:12] in b.eval("document.querySelector('#entries tbody').textContent"))
    report('and says the chain is intact', b.eval("document.getElementById('chain').textContent")
           .startswith('Chain intact'))
    b.goto(DPO_BASE + '/audit.html?outcome=refused')
    b.wait("/intact|BROKEN/.test(document.getElementById('chain').textContent)", what='the audit log')
    report('it lists the refusals, legal1 reading the audit log among them',
           'legal1' in b.eval("document.querySelector('#entries tbody').textContent"))


@step('erasure of a held call')
def _():
    b.goto(DPO_BASE + '/subject.html?tag=remote%3D%2B31201234567')
    b.wait("document.querySelectorAll('#calls tbody tr').length > 0", what='the subject\'s calls')
    b.eval("""(() => { document.getElementById('erase-reason').value = 'subject asked';
              document.getElementById('erase-confirm').checked = true;
              document.getElementById('erase-button').click(); })()""")
    b.wait("document.getElementById('erase-status').textContent", what='the erasure\'s answer')
    text = b.eval("document.getElementById('erase-status').textContent")
    report('the DPO\'s erasure of the held call is refused, saying why', 'legal hold' in text, text)
    report('the call is still there', cli_show().get('state') == 'held')


@step('token used once')
def _():
    b.goto(LEGAL_URL)
    report('the sign-in address does not work twice',
           'used already' in b.eval('document.body.textContent'))


@step('another role')
def _():
    b.goto(TRAINER_URL)
    b.wait("/found|error/i.test(document.getElementById('status').textContent)", what='the trainer\'s search')
    report('a trainer does not see the contract call',
           CALL not in b.eval("document.querySelector('#results tbody').textContent"))
    b.goto(TRAINER_BASE + '/call.html?id=' + CALL)
    b.wait("document.querySelector('#status.error')", what='a refusal')
    text = b.eval("document.getElementById('status').textContent")
    report('the trainer sees the archive\'s refusal on the call page', 'may not retrieve' in text, text)
    report('the refusal is announced (role alert)',
           b.eval("document.getElementById('status').getAttribute('role')") == 'alert')
    status, text = b.eval("""cr.post('/api/calls/%s/hold', { reason: 'not mine' })
        .then(() => [200, ''], (e) => [e.status, e.message])""" % CALL)
    report('a trainer placing a hold is refused by the archive',
           status == 403 and 'may not place' in text, '%s %s' % (status, text))


@step('sign out')
def _():
    b.goto(BASE + '/')
    b.wait("document.querySelector('.who button')", what='the sign-out button')
    b.eval("document.querySelector('.who button').click()")
    b.wait("document.body.textContent.includes('Not signed in')", what='the signed-out page')
    report('after signing out the console refuses the session', True)


b.close()
open(os.environ['BROWSER_DONE'], 'w').close()
sys.exit(1 if failures else 0)
