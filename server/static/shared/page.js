/* Hàng Đợi — what every page shares (kiosk, phone, hall board, desk display, desk console,
 * supervisor): DOM helpers that insert text, never HTML; the words of the page from the one
 * catalog (/i18n/<lang>.json, the same files the server prints from) with a language switch;
 * durations and dates written the same way everywhere; and the Socket.IO connection with one
 * set of options and one offline mark.
 *
 * Plain ES2017, no build step: TV browsers and kiosk tablets run it as it is.
 *
 *   var P = window.HangDoiPage;
 *   P.i18n.ready.then(function () { ... P.t("kiosk.done") ... });
 *   P.i18n.setLang("en");            // re-fills every [data-i18n] element and tells onChange listeners
 *   var socket = P.connect({ auth: { token: P.token() }, graceMs: 3000, onOffline: function (on) {...},
 *                            handlers: { snapshot: ..., call: ... } });
 */
(function (global) {
  "use strict";

  // ---- DOM ----------------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }

  /* el("div", "cls", "text") or el("div", "cls", [children, "text"]) — text only, never HTML. */
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

  /* Set a node's text (by id or node) only when it changed (no needless repaint on TVs). */
  function setText(id, text) {
    var node = typeof id === "string" ? $(id) : id;
    if (node && node.textContent !== String(text)) node.textContent = String(text);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function readConfig() {
    var node = $("page-config");
    return node ? JSON.parse(node.textContent) : {};
  }

  function token() { return new URLSearchParams(global.location.search).get("token") || ""; }

  // ---- words --------------------------------------------------------------------------------
  var DEFAULT = "vi";
  var catalogs = {};
  var listeners = [];
  var i18n = { lang: DEFAULT, languages: [DEFAULT], ready: null };

  function fill(text, params) {
    if (!params) return text;
    return text.replace(/\{([a-z_][a-z0-9_]*)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : all;
    });
  }

  /* The text of key in the page's language (or in lang), Vietnamese when that language lacks it;
   * the key itself when no catalog has it (a bug the catalog test catches first). */
  function t(key, params, lang) {
    var own = catalogs[lang || i18n.lang] || {};
    var text = own[key];
    if (text === undefined) text = (catalogs[DEFAULT] || {})[key];
    if (text === undefined) return key;
    return fill(text, params);
  }
  function has(key) { return (catalogs[DEFAULT] || {})[key] !== undefined; }

  function getJson(url) {
    return fetch(url, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error(url + " " + r.status);
      return r.json();
    });
  }

  /* Fetch the list of languages and the catalogs; retried every 2 s until the server answers
   * (a kiosk may start before the server). The HTML already carries the Vietnamese words. */
  function load() {
    return getJson("/i18n/index.json").then(function (index) {
      i18n.languages = index.map(function (l) { return l.code; });
      return Promise.all(i18n.languages.map(function (code) {
        return getJson("/i18n/" + code + ".json").then(function (c) { catalogs[code] = c; });
      }));
    }).catch(function () {
      return new Promise(function (resolve) { setTimeout(resolve, 2000); }).then(load);
    });
  }

  /* Fill every element of root marked data-i18n="key" (text in the page's language),
   * data-i18n-alt="key" (the English subtitle of a Vietnamese screen; hidden when the page is
   * in English) and data-i18n-attr="title:key;placeholder:key". */
  function apply(root) {
    root = root || document;
    Array.prototype.forEach.call(root.querySelectorAll("[data-i18n]"), function (n) {
      setText(n, t(n.getAttribute("data-i18n"), paramsOf(n)));
    });
    var alt = i18n.lang === "en" ? null : "en";
    Array.prototype.forEach.call(root.querySelectorAll("[data-i18n-alt]"), function (n) {
      n.hidden = !alt;
      n.style.display = alt ? "" : "none";      // some pages' CSS gives .en a display of its own
      if (alt) setText(n, t(n.getAttribute("data-i18n-alt"), paramsOf(n), alt));
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-i18n-attr]"), function (n) {
      n.getAttribute("data-i18n-attr").split(";").forEach(function (pair) {
        var at = pair.indexOf(":");
        if (at > 0) n.setAttribute(pair.slice(0, at).trim(), t(pair.slice(at + 1).trim(), paramsOf(n)));
      });
    });
  }
  function paramsOf(n) {
    var raw = n.getAttribute("data-i18n-params");
    if (!raw) return null;
    try { return JSON.parse(raw); } catch (e) { return null; }
  }

  function setLang(lang) {
    if (i18n.languages.indexOf(lang) < 0) lang = DEFAULT;
    i18n.lang = lang;
    document.documentElement.lang = lang;
    apply(document);
    listeners.forEach(function (fn) { fn(lang); });
  }
  /* The language after the page's one, for a switch button that cycles through them all. */
  function nextLang() {
    var langs = i18n.languages;
    return langs[(langs.indexOf(i18n.lang) + 1) % langs.length] || DEFAULT;
  }

  i18n.t = t;
  i18n.has = has;
  i18n.apply = apply;
  i18n.setLang = setLang;
  i18n.nextLang = nextLang;
  i18n.onChange = function (fn) { listeners.push(fn); };
  i18n.ready = load().then(function () {
    var wanted = new URLSearchParams(global.location.search).get("lang");
    if (wanted && i18n.languages.indexOf(wanted) >= 0) i18n.lang = wanted;
    document.documentElement.lang = i18n.lang;
    // a page's language switch (button#lang) comes disabled: a tap before the catalog is here
    // would be lost; the page's own handler is attached by now or in the next .then
    var button = document.getElementById("lang");
    if (button) button.disabled = false;
    return i18n;
  });

  // ---- durations, waits, dates ---------------------------------------------------------------
  /* "45 giây", "8 phút 45 giây", "1 giờ 5 phút" — never "8:45", which reads as a time of day. */
  function duration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return t("common.duration.none");
    var s = Math.max(0, Math.round(seconds));
    if (s < 60) return t("common.duration.s", { s: s });
    if (s < 3600) {
      var m = Math.floor(s / 60); s = s % 60;
      return s ? t("common.duration.m_s", { m: m, s: s }) : t("common.duration.m", { m: m });
    }
    var h = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60);
    return mm ? t("common.duration.h_m", { h: h, m: mm }) : t("common.duration.h", { h: h });
  }

  /* What an estimate can honestly say: null when it is a plain number of minutes; else "no desk
     open" (with the opening time when the hours tell) or "nothing to go on". `estimate` is the
     ticket's or queue's {kind, opens_at}. */
  function estimateNote(seconds, estimate) {
    var kind = estimate && estimate.kind;
    if (kind === "no_open_desk" || seconds === null || seconds === undefined) {   // no estimate: no open desk
      var at = (estimate && estimate.opens_at) || "";     // ISO with the center's offset
      return at.length >= 16 ? t("common.wait.no_open_desk_opens", { time: at.slice(11, 16),
        date: at.slice(8, 10) + "/" + at.slice(5, 7) }) : t("common.wait.no_open_desk");
    }
    if (kind === "no_history" && seconds > 0) return t("common.wait.no_history");
    return null;
  }

  /* An estimated wait rounded to minutes: "dưới 1 phút", "khoảng 31 phút" (or estimateNote's words). */
  function wait(seconds, estimate) {
    var note = estimateNote(seconds, estimate);
    if (note !== null) return note;
    var m = Math.round(Math.max(0, seconds) / 60);
    if (m < 1) return t("common.wait.under_min");
    if (m < 60) return t("common.wait.min", { m: m });
    var h = Math.floor(m / 60); m = m % 60;
    return m ? t("common.wait.h_m", { h: h, m: m }) : t("common.wait.h", { h: h });
  }

  function pad(n) { return ("0" + n).slice(-2); }
  /* The parts of a moment in a time zone: {y, m, d, hh, mm, ss, wd} (strings, wd a number). */
  var formats = {};
  function parts(date, timeZone) {
    var key = timeZone || "";
    try {
      formats[key] = formats[key] || new Intl.DateTimeFormat("en-GB", { timeZone: timeZone || undefined,
        hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, year: "numeric", month: "2-digit",
        day: "2-digit", weekday: "short" });
      var p = {};
      formats[key].formatToParts(date).forEach(function (x) { p[x.type] = x.value; });
      var days = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
      return { y: p.year, m: p.month, d: p.day, hh: p.hour === "24" ? "00" : p.hour, mm: p.minute, ss: p.second,
               wd: days[p.weekday] };
    } catch (e) {
      return { y: String(date.getFullYear()), m: pad(date.getMonth() + 1), d: pad(date.getDate()),
               hh: pad(date.getHours()), mm: pad(date.getMinutes()), ss: pad(date.getSeconds()), wd: date.getDay() };
    }
  }
  /* dd/mm/yyyy whatever the browser's locale; a Date, a timestamp or "YYYY-MM-DD…". */
  function formatDate(value, timeZone) {
    var m = typeof value === "string" && /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (m) return m[3] + "/" + m[2] + "/" + m[1];
    var p = parts(value instanceof Date ? value : new Date(value), timeZone);
    return p.d + "/" + p.m + "/" + p.y;
  }
  function formatTime(value, timeZone) {
    var p = parts(value instanceof Date ? value : new Date(value), timeZone);
    return p.hh + ":" + p.mm;
  }
  function weekday(n) { return t("common.weekday." + n); }

  /* Where a ticket comes from, in words (issue 13): "Đặt lịch 08:00–08:30" for a booked one (its
   * slot's start only, "Đặt lịch 08:00", when short), "Từ xa" for a remote number, "" for a walk-in. */
  function slotText(slot) { return String(slot || "").replace(/\s*[-\u2013]\s*/, "\u2013"); }
  function sourceText(ticket, short) {
    if (!ticket) return "";
    if (ticket.source === "booked") {
      var slot = slotText(ticket.slot);
      if (short) slot = slot.split("\u2013")[0];
      return slot ? t("source.booked", { slot: slot }) : t("source.booked_plain");
    }
    if (ticket.source === "remote") return t("source.remote");
    return "";
  }

  // ---- the connection ------------------------------------------------------------------------
  /* A mark that shows after graceMs of being cut off. The grace starts at the first sign of a cut
   * and is not restarted by the failed reconnects that follow (they come every 1–2 s, sooner than
   * the grace, and would otherwise keep the mark hidden for ever). */
  function offlineMark(graceMs, onChange) {
    var timer = null, offline = null;
    function set(on) {
      clearTimeout(timer); timer = null;
      if (offline === on) return;
      offline = on;
      onChange(on);
    }
    return {
      cut: function () { if (timer === null && offline !== true) timer = setTimeout(function () { set(true); }, graceMs); },
      now: function () { set(true); },
      back: function () { set(false); },
      isOffline: function () { return offline === true; }
    };
  }

  /* The Socket.IO connection of every page: reconnect for ever, 1 s doubling to at most 2 s
   * (±50 % jitter), so a page is back within a few seconds of the network or the server; every
   * (re)connect fires handlers.connect, where the page asks for the current state.
   * options: { auth, handlers: {event: fn}, graceMs, onOffline(on), retryRefusedMs } — a refused
   * connection (a revoked token) is not retried by socket.io itself: try again after
   * retryRefusedMs (null: leave it to the page's own connect_error handler). */
  function connect(options) {
    var socket = global.io({
      path: "/socket.io",
      auth: options.auth || {},
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 2000,
      randomizationFactor: 0.5,
      timeout: 10000
    });
    var mark = options.onOffline ? offlineMark(options.graceMs === undefined ? 3000 : options.graceMs, options.onOffline) : null;
    socket.on("connect", function () { if (mark) mark.back(); });
    socket.on("disconnect", function () { if (mark) mark.cut(); });
    socket.on("connect_error", function () {
      if (mark) mark.cut();
      if (!socket.active && options.retryRefusedMs) setTimeout(function () { socket.connect(); }, options.retryRefusedMs);
    });
    var handlers = options.handlers || {};
    Object.keys(handlers).forEach(function (name) { socket.on(name, handlers[name]); });
    socket.offlineMark = mark;
    return socket;
  }

  global.HangDoiPage = {
    $: $, el: el, setText: setText, clear: clear, readConfig: readConfig, token: token,
    i18n: i18n, t: t, duration: duration, wait: wait, estimateNote: estimateNote, formatDate: formatDate, formatTime: formatTime,
    parts: parts, weekday: weekday, offlineMark: offlineMark, connect: connect, slotText: slotText, sourceText: sourceText
  };
})(window);
