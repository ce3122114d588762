/* Hàng Đợi — what the hall board and the desk display share, on top of the pages' shared module
 * (/static/shared/page.js: DOM helpers, the catalog, the socket connection).
 *
 * Plain ES2017, no build step, no framework: these pages run on TV browsers.
 * Every name that comes from the config or the database is inserted with
 * textContent (via el()/setText()), never as HTML.
 *
 * The words are Vietnamese with English subtitles; ?lang=en shows them in English (the
 * language switch of a screen is its address).
 */
(function (global) {
  "use strict";
  var P = global.HangDoiPage;

  var readConfig = P.readConfig, el = P.el, setText = P.setText, token = P.token;

  /* The path of an absolute URL: audio_url is built on center.public_url, which may not be the
   * host this display reached the server by. */
  function pathOf(url) {
    try { var u = new URL(url, global.location.href); return u.pathname + u.search; }
    catch (e) { return url; }
  }

  /* The clock, in the center's time zone, corrected by the server's clock (TV clocks drift). */
  function startClock(config, timeId, dateId, onNewDay) {
    var offset = (config.server_time_ms || Date.now()) - Date.now();
    if (Math.abs(offset) < 2000) offset = 0;
    var tz = (config.center && config.center.timezone) || undefined;
    function tick() {
      var p = P.parts(new Date(Date.now() + offset), tz);
      setText(timeId, p.hh + ":" + p.mm);
      if (dateId) setText(dateId, P.weekday(p.wd) + ", " + p.d + "/" + p.m + "/" + p.y);
      var day = p.y + "-" + p.m + "-" + p.d;
      if (tick.day && tick.day !== day && onNewDay) onNewDay();
      tick.day = day;
    }
    tick();
    setInterval(tick, 1000);
  }

  /* Shrink a one-line text until it fits its box (long codes such as "KCN1024"). */
  function fitText(node, maxPx, minPx) {
    if (!node) return;
    var size = maxPx;
    node.style.fontSize = size + "px";
    var box = node.parentElement ? node.parentElement.clientWidth : 0;
    while (size > minPx && box && node.scrollWidth > box) {
      size -= 8;
      node.style.fontSize = size + "px";
    }
  }

  /* The Socket.IO connection of a display (the shared one: token in the connect auth, reconnect
   * for ever within 2 s), "offline" mark after a 3 s cut (a blip is not worth a mark on a TV).
   * A connection refused by the server (a token revoked in the config) is tried again every 30 s
   * in case the config comes back. Every (re)connect brings a fresh `snapshot`, so the page shows
   * the current state without a reload. */
  function connect(handlers, setOffline) {
    var socket = P.connect({ auth: { token: token() }, handlers: handlers, graceMs: 3000, onOffline: setOffline,
                             retryRefusedMs: 30000 });
    socket.offlineMark.cut();                 // not connected yet: the mark shows if it takes long
    return socket;
  }

  /* A page laid out for a fixed size (the hall board, 1920×1080) scaled to whatever screen shows
   * it: many TV browsers report 1280×720 CSS pixels. */
  function fitScreen(width, height) {
    function fit() {
      var scale = Math.min(global.innerWidth / width, global.innerHeight / height);
      document.body.style.transformOrigin = "0 0";
      document.body.style.transform = Math.abs(scale - 1) < 0.01 ? "" : "scale(" + scale + ")";
    }
    global.addEventListener("resize", fit);
    fit();
  }

  function callKey(call) {
    return call.ticket.id + "|" + call.called_at + "|" + (call.recall ? 1 : 0);
  }

  /* Start the page once its words are loaded (the HTML already shows the Vietnamese ones). */
  function start(fn) {
    P.i18n.ready.then(function () { P.i18n.setLang(P.i18n.lang); fn(); });
  }

  global.HangDoi = { readConfig: readConfig, el: el, setText: setText, token: token, pathOf: pathOf,
    startClock: startClock, fitText: fitText, fitScreen: fitScreen, connect: connect, callKey: callKey,
    t: P.t, i18n: P.i18n, start: start };
})(window);
