/* Hàng Đợi — the entrance kiosk: agencies → services → priority → the ticket on screen while it prints.
 *
 * Plain ES2017, no framework, no build step. Every name from the server is inserted as text
 * (textContent), never as HTML. The kiosk token comes from the page's own address (?token=).
 * One ticket per choice: the buttons are locked while a request runs, and every request of one
 * choice carries the same Idempotency-Key, so a double tap or a retry never issues two tickets.
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("page-config").textContent);
  var token = new URLSearchParams(window.location.search).get("token") || "";
  var TAP_GUARD_MS = 600;            // taps right after a screen change belong to the previous screen
  var OFFLINE_AFTER_MS = 2500;

  var state = {
    lang: "vi", screen: "agencies", catalog: null, agency: null, service: null, busy: false,
    key: null, ticket: null, printer: { state: "unknown", agent: true }, printStatus: null,
    online: true, socket: null, lastTouch: Date.now(), screenAt: 0, closedNext: null
  };
  var refs = { agencyMeta: {}, serviceSide: {} };

  var P = window.HangDoiPage, $ = P.$, el = P.el, clear = P.clear;
  /* The page's words: kiosk.* of the catalog, or a full key (priority.*, common.*). */
  function t(key, vars) { return P.t(P.i18n.has("kiosk." + key) ? "kiosk." + key : key, vars); }

  function waitText(seconds, estimate) { return P.wait(seconds, estimate); }
  /* The ticket's wait: a duration in the fact's large figures, a note ("Chưa có quầy mở", no
     estimate yet) in smaller ones, so that it takes no more room than a figure. */
  function setWait(ticket) {
    var box = $("ticket-wait");
    box.textContent = waitText(ticket.estimated_wait_s, ticket.estimate);
    box.classList.toggle("note", P.estimateNote(ticket.estimated_wait_s, ticket.estimate) !== null);
  }

  // ---- screens ----------------------------------------------------------------------------
  var SCREENS = ["agencies", "services", "priority", "ticket", "message", "closed"];
  function show(name) {
    SCREENS.forEach(function (s) { $("screen-" + s).classList.toggle("hidden", s !== name); });
    state.screen = name;
    state.screenAt = Date.now();
    state.lastTouch = Date.now();
    document.body.dataset.screen = name;
    if (name === "agencies") renderAgencies();
    if (name === "services") renderServices();
    if (name === "priority") renderPriorities();
    updateBanner();
    if (typeof tick === "function" && $("clock").textContent) tick();
  }

  function home() {
    state.agency = null; state.service = null; state.key = null; state.ticket = null;
    if (state.closedNext !== null) { show("closed"); return; }
    show("agencies");
  }

  function guardTap() {
    return state.busy || Date.now() - state.screenAt < TAP_GUARD_MS;
  }

  // ---- catalog ----------------------------------------------------------------------------
  function fetchJson(url, options) {
    options = options || {};
    var ctrl = typeof AbortController === "function" ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, options.timeout || 8000) : null;
    options.signal = ctrl ? ctrl.signal : undefined;
    options.cache = "no-store";
    return fetch(url, options).then(function (r) {
      if (timer) clearTimeout(timer);
      return r.json().then(function (body) { return { status: r.status, body: body }; },
                           function () { return { status: r.status, body: null }; });
    }, function (err) { if (timer) clearTimeout(timer); throw err; });
  }

  var catalogTimer = null;
  function loadCatalog() {
    clearTimeout(catalogTimer);
    return fetchJson("/api/v1/catalog").then(function (res) {
      if (res.status !== 200 || !res.body) throw new Error("catalog " + res.status);
      setOnline(true);
      state.catalog = res.body;
      var center = res.body.center || {};
      if (center.is_open === false) {
        setClosed(center.next_opening || "");
        catalogTimer = setTimeout(loadCatalog, 30000);
      } else {
        var wasClosed = state.closedNext !== null;
        state.closedNext = null;
        if (wasClosed || state.screen === "closed") home();
        else if (state.screen === "agencies") renderAgencies();
        else if (state.screen === "services") renderServices();
        catalogTimer = setTimeout(loadCatalog, 120000);
      }
    }).catch(function () {
      setOnline(false, true);
      catalogTimer = setTimeout(loadCatalog, 3000);
    });
  }

  function serviceByCode(code) {
    var found = null;
    (state.catalog ? state.catalog.agencies : []).forEach(function (a) {
      a.services.forEach(function (s) { if (s.code === code) found = s; });
    });
    return found;
  }

  function agencyWaiting(a) {
    return a.services.reduce(function (sum, s) { return sum + (s.waiting || 0); }, 0);
  }

  // ---- agencies ---------------------------------------------------------------------------
  function renderAgencies() {
    var box = $("agencies");
    clear(box);
    refs.agencyMeta = {};
    if (!state.catalog) return;
    var agencies = state.catalog.agencies.filter(function (a) { return a.services.length > 0; });
    var n = agencies.length;
    var cols = n <= 6 ? 1 : (n <= 26 ? 2 : 3);
    var rows = Math.max(1, Math.ceil(n / cols));
    box.style.gridTemplateColumns = "repeat(" + cols + ", minmax(0, 1fr))";
    box.style.gridTemplateRows = "repeat(" + rows + ", minmax(0, 1fr))";
    agencies.forEach(function (a) {
      var tile = el("button", "tile");
      tile.type = "button";
      tile.dataset.agency = a.code;
      tile.appendChild(el("span", "tile-name", a.name));
      var meta = el("span", "tile-meta", agencyMetaText(a));
      tile.appendChild(meta);
      refs.agencyMeta[a.code] = meta;
      tile.addEventListener("click", function () {
        if (guardTap()) return;
        state.agency = a;
        show("services");
      });
      box.appendChild(tile);
    });
    fitText(box, ".tile", "--tile-font", 0.34, 48);
  }

  function agencyMetaText(a) {
    var w = agencyWaiting(a);
    var n = a.services.length;
    var services = n === 1 ? t("services_count_one") : t("services_count", { n: n });
    return services + " · " + t("waiting_count", { n: w });
  }

  /* Largest font (px) at which every item's content fits its box, at most ratio × item height. */
  function fitText(container, selector, variable, ratio, maxPx) {
    var items = container.querySelectorAll(selector);
    if (!items.length) return;
    var size = Math.min(maxPx, Math.floor(items[0].clientHeight * ratio));
    var minPx = 14;
    container.style.setProperty(variable, size + "px");
    var overflow = function () {
      for (var i = 0; i < items.length; i++) {
        if (items[i].scrollHeight > items[i].clientHeight + 1 || items[i].scrollWidth > items[i].clientWidth + 1) return true;
      }
      return false;
    };
    while (size > minPx && overflow()) {
      size -= 1;
      container.style.setProperty(variable, size + "px");
    }
  }

  // ---- services ---------------------------------------------------------------------------
  function renderServices() {
    var box = $("services");
    clear(box);
    refs.serviceSide = {};
    var a = state.agency;
    if (!a) return;
    // the latest counts, from the newest catalog
    (state.catalog ? state.catalog.agencies : []).forEach(function (fresh) { if (fresh.code === a.code) a = state.agency = fresh; });
    $("agency-title").textContent = a.name;
    a.services.forEach(function (s) {
      var b = el("button", "service");
      b.type = "button";
      b.dataset.service = s.code;
      b.appendChild(el("span", "service-name", s.name));
      var side = el("span", "service-side");
      fillServiceSide(side, s);
      b.appendChild(side);
      refs.serviceSide[s.code] = side;
      b.addEventListener("click", function () {
        if (guardTap()) return;
        state.service = s;
        state.key = newKey();
        show("priority");
      });
      box.appendChild(b);
    });
    var rows = Math.max(4, a.services.length);
    box.style.gridAutoRows = "minmax(0, " + Math.min(15, 70 / rows) + "vh)";
    fitText(box, ".service", "--service-font", 0.28, 52);
  }

  function fillServiceSide(side, s) {
    clear(side);
    var words = t("waiting").split("{n}");      // "Đang chờ: {n} người", the number in bold
    side.appendChild(el("div", null, [words[0], el("b", null, s.waiting), words.slice(1).join("{n}")]));
    var note = P.estimateNote(s.estimated_wait_s, s.estimate);
    side.appendChild(el("div", note === null ? null : "estimate-note",
                        note === null ? t("wait_about", { t: waitText(s.estimated_wait_s) }) : note));
  }

  // ---- priority ---------------------------------------------------------------------------
  function renderPriorities() {
    var box = $("priorities");
    clear(box);
    $("service-title").textContent = state.service ? state.service.name : "";
    (cfg.priorities || []).forEach(function (p) {
      var b = el("button", "choice");
      b.type = "button";
      b.dataset.priority = p;
      b.appendChild(el("span", null, t("priority." + p)));
      if (t("priority." + p + "_sub")) b.appendChild(el("span", "choice-sub", t("priority." + p + "_sub")));
      b.addEventListener("click", function () { if (!guardTap()) issue(p); });
      box.appendChild(b);
    });
  }

  // ---- issuing ----------------------------------------------------------------------------
  function newKey() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function setBusy(busy) {
    state.busy = busy;
    document.body.classList.toggle("busy-all", busy);
    clearTimeout(setBusy.timer);
    if (busy) setBusy.timer = setTimeout(function () { $("busy").classList.remove("hidden"); }, 300);
    else $("busy").classList.add("hidden");
  }

  function issue(priority) {
    if (state.busy || !state.service) return;
    setBusy(true);
    var key = state.key || (state.key = newKey());
    var body = JSON.stringify({ service: state.service.code, priority: priority || null });
    var attempt = function (n) {
      fetchJson("/api/v1/tickets", {
        method: "POST", body: body, timeout: 10000,
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token, "Idempotency-Key": key }
      }).then(function (res) {
        setOnline(true);
        if (res.status === 201 && res.body && res.body.ticket) {
          setBusy(false);
          showTicket(res.body.ticket);
          return;
        }
        if (res.status === 409 && res.body && res.body.error && res.body.error.code === "request_in_progress" && n < 3) {
          setTimeout(function () { attempt(n + 1); }, 500);
          return;
        }
        setBusy(false);
        issueFailed(res);
      }, function () {
        if (n < 3) { setTimeout(function () { attempt(n + 1); }, 700 * (n + 1)); return; }
        setBusy(false);
        setOnline(false, true);
        message(t("error_title"), t("error_retry"));
      });
    };
    attempt(0);
  }

  function issueFailed(res) {
    var code = res.body && res.body.error ? res.body.error.code : "";
    state.key = null;
    if (code === "center_closed") {
      var details = res.body.error.details || [];
      var next = "";
      details.forEach(function (d) { if (d.field === "next_opening") next = d.message; });
      setClosed(next);
      return;
    }
    if (code === "unknown_service") { loadCatalog(); message(t("error_title"), t("error_service")); return; }
    if (res.status === 401 || res.status === 403) { message(t("error_title"), t("error_device")); return; }
    if (res.status === 429) { message(t("error_title"), t("error_busy")); return; }
    message(t("error_title"), t("error_retry"));
  }

  function message(title, text) {
    $("message-title").textContent = title;
    $("message-text").textContent = text;
    show("message");
  }

  // ---- the ticket -------------------------------------------------------------------------
  function showTicket(ticket) {
    state.ticket = ticket;
    state.key = null;
    state.printStatus = null;
    $("ticket-code").textContent = ticket.code;
    $("ticket-service").textContent = ticket.service_name || ticket.service;
    $("ticket-agency").textContent = ticket.agency_name || "";
    var pr = $("ticket-priority");
    pr.classList.toggle("hidden", !ticket.priority);
    pr.textContent = ticket.priority ? t("priority.label", { p: t("priority." + ticket.priority) }) : "";
    $("ticket-ahead").textContent = String(ticket.waiting_ahead);
    setWait(ticket);
    var img = $("ticket-qr");
    img.removeAttribute("src");
    loadQr(ticket.id, img);
    show("ticket");
    fitCode();
    renderPrintStatus();
    clearTimeout(showTicket.slow);
    showTicket.slow = setTimeout(function () {
      if (state.ticket === ticket && !state.printStatus) { state.printStatus = "slow"; renderPrintStatus(); }
    }, 12000);
  }

  /* The code as large as the card allows: at most 13% of the screen's height, never wider than the card. */
  function fitCode() {
    var code = $("ticket-code");
    var card = code.parentNode;
    var size = Math.floor(window.innerHeight * 0.13);
    var room = card.clientWidth - 2 * parseFloat(getComputedStyle(card).paddingLeft || "0");
    card.style.setProperty("--code-font", size + "px");
    while (size > 40 && code.scrollWidth > room) {
      size = Math.floor(size * 0.95);
      card.style.setProperty("--code-font", size + "px");
    }
  }

  function loadQr(id, img) {
    fetch("/api/v1/tickets/" + encodeURIComponent(id) + "/qr.png", {
      headers: { "Authorization": "Bearer " + token }, cache: "no-store"
    }).then(function (r) {
      if (!r.ok) throw new Error("qr " + r.status);
      return r.blob();
    }).then(function (blob) {
      var reader = new FileReader();
      reader.onload = function () { if (state.ticket && state.ticket.id === id) img.src = reader.result; };
      reader.readAsDataURL(blob);
    }).catch(function () { /* the code on screen is what matters */ });
  }

  function printerBad() {
    return state.printer.state === "offline" || state.printer.state === "paper_out";
  }

  function renderPrintStatus() {
    var box = $("print-status");
    var s = state.printStatus;
    var warn = s === "failed" || s === "expired" || (s !== "printed" && printerBad());
    var text = s === "printed" ? t("printed") : s === "unconfirmed" ? t("print_unconfirmed") :
      warn ? t("print_problem") : s === "slow" ? t("print_slow") : t("printing");
    box.textContent = text;
    box.classList.toggle("warn", warn || s === "slow" || s === "unconfirmed");
  }

  // ---- printer banner ---------------------------------------------------------------------
  function updateBanner() {
    var banner = $("printer-banner");
    var bad = printerBad() && state.screen !== "closed";
    var was = !banner.classList.contains("hidden"), before = banner.textContent;
    banner.classList.toggle("hidden", !bad);
    if (bad) banner.textContent = t(state.printer.state === "paper_out" ? "printer_banner_paper_out" : "printer_banner_offline");
    // the banner takes height from the tiles: fit them again to the room left
    if (was !== bad || (bad && before !== banner.textContent)) {
      if (state.screen === "agencies") renderAgencies();
      else if (state.screen === "services") renderServices();
    }
  }

  function setPrinter(p) {
    if (!p || typeof p.state !== "string") return;
    state.printer = p;
    document.body.dataset.printer = p.state;
    updateBanner();
    if (state.screen === "ticket") renderPrintStatus();
  }

  // ---- closed -----------------------------------------------------------------------------
  function setClosed(nextIso) {
    state.closedNext = nextIso || "";
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(nextIso || "");
    var text = t("closed_unknown");
    if (m) {
      var weekday = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDay();
      text = t("closed_at", { time: m[4] + ":" + m[5], weekday: P.weekday(weekday), date: m[3] + "/" + m[2] + "/" + m[1] });
    }
    $("closed-text").textContent = text;
    if (state.screen !== "ticket") show("closed");
    clearTimeout(catalogTimer);
    catalogTimer = setTimeout(loadCatalog, 30000);
  }

  // ---- connection -------------------------------------------------------------------------
  // A cut shorter than OFFLINE_AFTER_MS is not shown. The timer starts at the first sign of a cut
  // and is not restarted by the failed reconnects that follow (they come every 1–2 s, sooner
  // than OFFLINE_AFTER_MS, and would otherwise keep the mark hidden for ever).
  var offline = P.offlineMark(OFFLINE_AFTER_MS, function (on) {
    state.online = !on;
    $("offline").classList.toggle("hidden", !on);
  });
  function setOnline(online, now) {
    if (online) offline.back();
    else if (now) offline.now();
    else offline.cut();
  }

  function connectSocket() {
    if (typeof window.io !== "function") {     // no realtime: poll the catalog instead
      setInterval(loadCatalog, 10000);
      return;
    }
    var socket = P.connect({ auth: { token: token } });
    state.socket = socket;
    socket.on("connect", function () {
      setOnline(true);
      socket.emit("kiosk_status");
      loadCatalog();
    });
    socket.on("disconnect", function () { setOnline(false); });
    socket.on("connect_error", function () { setOnline(false); });
    socket.on("printer_state", setPrinter);
    socket.on("print_status", function (p) {
      if (!p || !state.ticket || p.ticket !== state.ticket.id) return;
      // a job the printer took but did not confirm is not called printed, nor broken
      state.printStatus = p.status === "failed" && /\(unconfirmed\)$/.test(p.error || "") ? "unconfirmed" : p.status;
      renderPrintStatus();
    });
    socket.on("queues", function (q) {
      if (!q || !state.catalog) return;
      (q.services || []).forEach(function (fresh) {
        var s = serviceByCode(fresh.code);
        if (!s) return;
        s.waiting = fresh.waiting;
        s.estimated_wait_s = fresh.estimated_wait_s;
        s.estimate = fresh.estimate;
        if (refs.serviceSide[s.code]) fillServiceSide(refs.serviceSide[s.code], s);
      });
      state.catalog.agencies.forEach(function (a) {
        if (refs.agencyMeta[a.code]) refs.agencyMeta[a.code].textContent = agencyMetaText(a);
      });
    });
  }

  // ---- language, clock, idle --------------------------------------------------------------
  function applyLang() {
    P.i18n.setLang(state.lang);
    $("lang").textContent = P.t("common.lang_name", null, P.i18n.nextLang());
    if (state.screen === "agencies") renderAgencies();
    if (state.screen === "services") renderServices();
    if (state.screen === "priority") renderPriorities();
    if (state.screen === "ticket" && state.ticket) {
      setWait(state.ticket);
      var pr = $("ticket-priority");
      if (state.ticket.priority) pr.textContent = t("priority.label", { p: t("priority." + state.ticket.priority) });
      renderPrintStatus();
    }
    if (state.screen === "closed") setClosed(state.closedNext);
    updateBanner();
    tick();
  }

  var clockFormat = null;
  function tick() {
    try {
      clockFormat = clockFormat || new Intl.DateTimeFormat("vi-VN", {
        timeZone: cfg.center.timezone || undefined, hour: "2-digit", minute: "2-digit",
        day: "2-digit", month: "2-digit", year: "numeric", hour12: false });
      var parts = {};
      clockFormat.formatToParts(new Date()).forEach(function (p) { parts[p.type] = p.value; });
      $("clock").textContent = parts.hour + ":" + parts.minute + "  " + parts.day + "/" + parts.month + "/" + parts.year;
    } catch (e) {
      var d = new Date();
      $("clock").textContent = ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    }
    var idle = Date.now() - state.lastTouch;
    if (state.screen === "ticket") {
      var left = Math.max(0, Math.ceil((cfg.ticket_screen_s * 1000 - idle) / 1000));
      $("done-count").textContent = "(" + left + ")";
      if (left <= 0) home();
    } else if (state.screen !== "agencies" && state.screen !== "closed" && idle > cfg.idle_s * 1000) {
      home();
    }
  }

  function init() {
    ["contextmenu", "selectstart", "dragstart", "gesturestart"].forEach(function (name) {
      document.addEventListener(name, function (e) { e.preventDefault(); });
    });
    document.addEventListener("pointerdown", function () { state.lastTouch = Date.now(); }, true);
    document.addEventListener("keydown", function (e) {   // no way out through a keyboard either
      if (e.ctrlKey || e.altKey || e.metaKey || /^F\d+$/.test(e.key)) e.preventDefault();
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=back]"), function (b) {
      b.addEventListener("click", function () {
        if (guardTap()) return;
        if (state.screen === "priority") show("services"); else home();
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=home]"), function (b) {
      b.addEventListener("click", function () { if (!guardTap()) home(); });
    });
    $("no-priority").addEventListener("click", function () { if (!guardTap()) issue(null); });
    $("done").addEventListener("click", function () { if (!guardTap()) home(); });
    $("lang").addEventListener("click", function () {
      state.lang = P.i18n.nextLang();
      applyLang();
    });
    window.addEventListener("resize", function () {
      if (state.screen === "agencies") renderAgencies();
      if (state.screen === "services") renderServices();
    });
    setInterval(tick, 1000);
    tick();
    show("agencies");
    state.screenAt = 0;                 // the first screen has no earlier tap to swallow
    loadCatalog();
    connectSocket();
  }

  // lookup hook (issue 14): kiosk/static/lookup.js opens over the first screen and takes the
  // ticket of a procedure's service through the same issue() as the service tiles
  window.HangDoiKiosk = {
    lang: function () { return state.lang; },
    service: serviceByCode,
    take: function (code) {
      var s = serviceByCode(code);
      if (!s || state.busy) return false;
      state.service = s; state.key = newKey(); issue(null);
      return true;
    }
  };
  P.i18n.ready.then(function () { state.lang = P.i18n.lang; applyLang(); init(); });
}());
