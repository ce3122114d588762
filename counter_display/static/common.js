/* Hàng Đợi — shared helpers of the hall board and the desk display.
 *
 * Plain ES2017, no build step, no framework: these pages run on TV browsers.
 * Every name that comes from the config or the database is inserted with
 * textContent (via el()/setText()), never as HTML.
 */
(function (global) {
  "use strict";

  function readConfig() {
    var node = document.getElementById("page-config");
    return node ? JSON.parse(node.textContent) : {};
  }

  /* el("div", "cls", "text") or el("div", "cls", [children]) — text only, never HTML. */
  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (Array.isArray(content)) {
      content.forEach(function (child) {
        if (child === null || child === undefined) return;
        node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
      });
    } else if (content !== undefined && content !== null) {
      node.textContent = String(content);
    }
    return node;
  }

  function setText(id, text) {
    var node = typeof id === "string" ? document.getElementById(id) : id;
    if (node && node.textContent !== String(text)) node.textContent = String(text);
    return node;
  }

  function token() {
    return new URLSearchParams(global.location.search).get("token") || "";
  }

  /* The path of an absolute URL: audio_url is built on center.public_url, which may not be the
   * host this display reached the server by. */
  function pathOf(url) {
    try { var u = new URL(url, global.location.href); return u.pathname + u.search; }
    catch (e) { return url; }
  }

  var WEEKDAYS = ["Chủ Nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"];

  /* The clock, in the center's time zone, corrected by the server's clock (TV clocks drift). */
  function startClock(config, timeId, dateId, onNewDay) {
    var offset = (config.server_time_ms || Date.now()) - Date.now();
    if (Math.abs(offset) < 2000) offset = 0;
    var tz = (config.center && config.center.timezone) || undefined;
    var fmt = null;
    try {
      fmt = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", hour12: false,
        year: "numeric", month: "2-digit", day: "2-digit", weekday: "short" });
    } catch (e) { fmt = null; }
    var DAYS = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
    function tick() {
      var now = new Date(Date.now() + offset);
      var hh, mm, d, m, y, wd;
      if (fmt && fmt.formatToParts) {
        var parts = {};
        fmt.formatToParts(now).forEach(function (p) { parts[p.type] = p.value; });
        hh = parts.hour; mm = parts.minute; d = parts.day; m = parts.month; y = parts.year; wd = DAYS[parts.weekday];
        if (hh === "24") hh = "00";
      } else {
        hh = ("0" + now.getHours()).slice(-2); mm = ("0" + now.getMinutes()).slice(-2);
        d = ("0" + now.getDate()).slice(-2); m = ("0" + (now.getMonth() + 1)).slice(-2); y = now.getFullYear();
        wd = now.getDay();
      }
      setText(timeId, hh + ":" + mm);
      if (dateId) setText(dateId, WEEKDAYS[wd] + ", " + d + "/" + m + "/" + y);
      var day = y + "-" + m + "-" + d;
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

  /* The Socket.IO connection of a display: token in the connect auth, reconnect forever with
   * backoff (1 s doubling to 2 s, ±50% jitter: back within 5 s of the network or the server
   * returning), "offline" mark while cut off. Every (re)connect
   * brings a fresh `snapshot`, so the page shows the current state without a reload. */
  function connect(handlers, setOffline) {
    var socket = global.io({
      path: "/socket.io",
      auth: { token: token() },
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 2000,
      randomizationFactor: 0.5,
      timeout: 10000
    });
    var offlineTimer = null;
    function offline(on) {
      // A blip shorter than 3 s is not worth a mark on a TV.
      if (on) {
        if (!offlineTimer) offlineTimer = setTimeout(function () { setOffline(true); }, 3000);
      } else {
        clearTimeout(offlineTimer); offlineTimer = null; setOffline(false);
      }
    }
    socket.on("connect", function () { offline(false); });
    socket.on("disconnect", function () { offline(true); });
    socket.on("connect_error", function () {
      offline(true);
      // Refused by the server (a token revoked in the config): socket.io does not retry that
      // by itself; try again later in case the config comes back.
      if (!socket.active) setTimeout(function () { socket.connect(); }, 30000);
    });
    Object.keys(handlers).forEach(function (name) { socket.on(name, handlers[name]); });
    offline(true);
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

  global.HangDoi = { readConfig: readConfig, el: el, setText: setText, token: token, pathOf: pathOf,
    startClock: startClock, fitText: fitText, fitScreen: fitScreen, connect: connect, callKey: callKey };
})(window);
