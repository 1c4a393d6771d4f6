"""A small client of Chromium's DevTools protocol, for tests that click through pages: start
Debian's headless Chromium with a fresh profile, open pages, run script in them, wait for
conditions, take screenshots and let downloads land in a folder. Needs python3-websocket."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket

CHROMIUM = '/usr/bin/chromium'
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--disable-default-apps', '--mute-audio', '--autoplay-policy=no-user-gesture-required']


class CDPError(Exception):
    pass


class _Endpoint:
    """One DevTools WebSocket: commands and the events that arrive meanwhile."""

    def __init__(self, url):
        self.ws = websocket.create_connection(url, suppress_origin=True, timeout=30)
        self.next_id = 0
        self.events = []

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({'id': self.next_id, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == self.next_id:
                if 'error' in msg:
                    raise CDPError('%s: %s' % (method, msg['error'].get('message')))
                return msg.get('result', {})
            self.events.append(msg)

    def wait_event(self, method, timeout=20, match=lambda p: True):
        deadline = time.time() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get('method') == method and match(e.get('params', {})):
                    return self.events.pop(i)['params']
            left = deadline - time.time()
            if left <= 0:
                raise CDPError('no %s within %d s' % (method, timeout))
            self.ws.settimeout(left)
            try:
                self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                pass
            finally:
                self.ws.settimeout(30)

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass


class Browser:
    def __init__(self, width=1366, height=900, log=None, env=None):
        self.profile = tempfile.mkdtemp(prefix='callrec-chromium-')
        self.proc = subprocess.Popen(
            [CHROMIUM] + FLAGS + ['--user-data-dir=' + self.profile, '--remote-debugging-port=0',
                                  '--window-size=%d,%d' % (width, height), 'about:blank'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=log or subprocess.DEVNULL, env=env)
        port = self._port()
        base = 'http://127.0.0.1:%d' % port
        version = json.load(urllib.request.urlopen(base + '/json/version', timeout=10))
        self.browser = _Endpoint(version['webSocketDebuggerUrl'])
        pages = [t for t in json.load(urllib.request.urlopen(base + '/json/list', timeout=10))
                 if t.get('type') == 'page']
        if not pages:
            raise CDPError('Chromium opened no page')
        self.page = _Endpoint(pages[0]['webSocketDebuggerUrl'])
        self.page.send('Page.enable')
        self.page.send('Runtime.enable')
        self.page.send('Emulation.setDeviceMetricsOverride', width=width, height=height,
                       deviceScaleFactor=1, mobile=False)

    def _port(self, timeout=20):
        path = os.path.join(self.profile, 'DevToolsActivePort')
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise CDPError('Chromium exited with status %d' % self.proc.returncode)
            try:
                with open(path) as f:
                    return int(f.readline())
            except (OSError, ValueError):
                time.sleep(0.05)
        raise CDPError('Chromium did not open its DevTools port')

    def goto(self, url, timeout=20):
        """Open url and wait until the page (and its deferred scripts) has loaded."""
        self.page.events.clear()
        self.page.send('Page.navigate', url=url)
        self.page.wait_event('Page.loadEventFired', timeout)

    def eval(self, expression, await_promise=True):
        """The value of a JavaScript expression in the page (promises awaited)."""
        r = self.page.send('Runtime.evaluate', expression=expression, awaitPromise=await_promise,
                           returnByValue=True)
        if 'exceptionDetails' in r:
            d = r['exceptionDetails']
            raise CDPError('script failed: %s' % d.get('exception', {}).get('description', d.get('text')))
        return r.get('result', {}).get('value')

    def wait(self, expression, timeout=20, what=None):
        """Wait until the expression is truthy in the page (an element counts: it is not sent
        back, only whether it is there)."""
        deadline = time.time() + timeout
        while True:
            if self.eval('!!(%s)' % expression):
                return True
            if time.time() > deadline:
                try:
                    seen = self.eval("location.pathname + ': ' + document.body.innerText.slice(0, 400)")
                except CDPError:
                    seen = '?'
                raise CDPError('timed out waiting for %s; the page: %r' % (what or expression, seen))
            time.sleep(0.1)

    def screenshot(self, path):
        """The whole page as PNG."""
        r = self.page.send('Page.captureScreenshot', format='png', captureBeyondViewport=True)
        with open(path, 'wb') as f:
            f.write(base64.b64decode(r['data']))

    def downloads_to(self, folder):
        self.browser.send('Browser.setDownloadBehavior', behavior='allowAndName',
                          downloadPath=folder, eventsEnabled=True)

    def wait_download(self, timeout=60):
        """Wait for a download to finish; (its guid file in the folder, suggested name)."""
        begin = self.browser.wait_event('Browser.downloadWillBegin', timeout)
        self.browser.wait_event('Browser.downloadProgress', timeout,
                                lambda p: p.get('guid') == begin['guid'] and p.get('state') == 'completed')
        return begin['guid'], begin.get('suggestedFilename')

    def cookies(self):
        return self.page.send('Network.getCookies').get('cookies', [])

    def close(self):
        for e in (getattr(self, 'page', None), getattr(self, 'browser', None)):
            if e:
                e.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
