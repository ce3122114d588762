/* Hàng Đợi — the entrance kiosk: agencies → services → priority → the ticket on screen while it prints.
 *
 * Bookings (issue 13): the kiosk's 2D scanner types like a keyboard (fast keys, then Enter); its
 * text is caught on every screen and never reaches another field. A booking's QR ("HDB1.…") or
 * 8-digit code checks the booking in; an ID card's QR (12 digits then "|") is held while the
 * visitor chooses the service (the server sets the elderly priority from it); anything else gets
 * a clear message. "Tôi đã đặt lịch" opens an on-screen keypad for the 8-digit code.
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
    online: true, socket: null, lastTouch: Date.now(), screenAt: 0, closedNext: null,
    card: null, code: "", msg: null
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
  var SCREENS = ["agencies", "services", "priority", "checkin", "ticket", "message", "closed"];
  function show(name) {
    SCREENS.forEach(function (s) { $("screen-" + s).classList.toggle("hidden", s !== name); });
    state.screen = name;
    state.screenAt = Date.now();
    state.lastTouch = Date.now();
    document.body.dataset.screen = name;
    if (name === "agencies") renderAgencies();
    if (name === "services") renderServices();
    if (name === "priority") renderPriorities();
    if (name === "checkin") renderKeypad();
    renderCard();
    updateBanner();
    if (typeof tick === "function" && $("clock").textContent) tick();
  }

  function home() {
    state.agency = null; state.service = null; state.key = null; state.ticket = null;
    state.card = null; state.code = "";
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
        if (state.card) issue(null);          // the ID card tells the priority
        else show("priority");
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
    var body = { service: state.service.code };
    if (state.card) body.id_card = state.card; else body.priority = priority || null;
    send(body, state.card ? "card" : "walk_in");
  }

  /* POST /tickets with one Idempotency-Key for all the retries of one choice; kind is "walk_in",
     "card" (an ID card held) or "booking" (a check-in), for the words of a refusal. */
  function send(fields, kind) {
    if (state.busy) return;
    setBusy(true);
    var key = state.key || (state.key = newKey());
    var body = JSON.stringify(fields);
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
        issueFailed(res, kind);
      }, function () {
        if (n < 3) { setTimeout(function () { attempt(n + 1); }, 700 * (n + 1)); return; }
        setBusy(false);
        setOnline(false, true);
        state.key = null;
        message(kind === "booking" ? "checkin.error_title" : "kiosk.error_title", "kiosk.error_retry");
      });
    };
    attempt(0);
  }

  function issueFailed(res, kind) {
    var error = res.body && res.body.error ? res.body.error : {};
    var code = error.code || "";
    state.key = null;
    if (kind === "booking" || kind === "card") {
      state.card = null;                  // a refused card is not kept for the next visitor
      if (refusal(kind, res.status, error)) return;
    }
    if (code === "center_closed") {
      var details = res.body.error.details || [];
      var next = "";
      details.forEach(function (d) { if (d.field === "next_opening") next = d.message; });
      setClosed(next);
      return;
    }
    var title = kind === "booking" ? "checkin.error_title" : kind === "card" ? "checkin.card_error_title" : "kiosk.error_title";
    if (code === "unknown_service") { loadCatalog(); message(title, "kiosk.error_service"); return; }
    if (res.status === 401 || res.status === 403) { message(title, "kiosk.error_device"); return; }
    if (res.status === 429) { message(title, "kiosk.error_busy"); return; }
    message(title, "kiosk.error_retry");
  }

  /* The words of a refused check-in or ID card (checkin.<code>), with what the answer's details
     tell: the booked day, the slot and when its check-in opens, the day's quota. */
  var REFUSALS = ["booking_used", "booking_not_here", "booking_wrong_day", "booking_outside_slot", "booking_cancelled",
                  "booking_unknown", "invalid_booking", "invalid_id_card", "quota_exceeded", "bookings_off"];
  function refusal(kind, status, error) {
    var code = error.code || "";
    if (REFUSALS.indexOf(code) < 0) return false;
    var d = details(error), key = "checkin." + code, vars = {};
    if (code === "booking_wrong_day" && /^\d{4}-\d{2}-\d{2}$/.test(d.date || "")) {
      key = "checkin.booking_wrong_day_date"; vars.date = P.formatDate(d.date);
    }
    if (code === "booking_outside_slot" && d.slot) {
      var opens = hhmm(d.opens_at || d.checkin_opens || d.opens);
      vars.slot = slotText(d.slot);
      if (d.too_late === true || d.when === "late" || d.when === "after") key = "checkin.booking_late";
      else if (opens) { key = "checkin.booking_early"; vars.opens = opens; }
    }
    if (code === "quota_exceeded" && /^\d+$/.test(String(d.per_person_per_day || d.limit || ""))) {
      key = "checkin.quota_exceeded_n"; vars.n = String(d.per_person_per_day || d.limit);
    }
    var title = code === "invalid_id_card" || kind === "card" ? "checkin.card_error_title" : "checkin.error_title";
    message(title, key, vars);
    return true;
  }
  /* error.details as {field: message} (the API's [{field, message}]), or an object as it is. */
  function details(error) {
    var out = {}, d = error.details;
    if (Array.isArray(d)) d.forEach(function (x) { if (x && typeof x.field === "string") out[x.field] = x.message; });
    else if (d && typeof d === "object") out = d;
    return out;
  }
  function hhmm(value) {
    var m = /(?:^|T)(\d{2}:\d{2})/.exec(typeof value === "string" ? value : "");
    return m ? m[1] : "";
  }
  var slotText = P.slotText;             // "08:00–08:30", an en dash between the two times

  /* A message in the kiosk's language, and in English under it (for a visitor from abroad). */
  function message(titleKey, textKey, vars) {
    state.msg = { title: titleKey, text: textKey, vars: vars || null };
    renderMessage();
    show("message");
  }
  function renderMessage() {
    var m = state.msg;
    if (!m) return;
    $("message-title").textContent = P.t(m.title, m.vars);
    $("message-text").textContent = P.t(m.text, m.vars);
    var english = P.i18n.lang !== "en" && P.i18n.languages.indexOf("en") >= 0;
    $("message-en").classList.toggle("hidden", !english);
    $("message-en-title").textContent = english ? P.t(m.title, m.vars, "en") : "";
    $("message-en-text").textContent = english ? P.t(m.text, m.vars, "en") : "";
  }

  // ---- the ticket -------------------------------------------------------------------------
  function showTicket(ticket) {
    state.ticket = ticket;
    state.key = null;
    state.card = null;
    state.printStatus = null;
    $("ticket-code").textContent = ticket.code;
    $("ticket-service").textContent = ticket.service_name || ticket.service;
    $("ticket-agency").textContent = ticket.agency_name || "";
    var pr = $("ticket-priority");
    pr.classList.toggle("hidden", !ticket.priority);
    pr.textContent = ticket.priority ? t("priority.label", { p: t("priority." + ticket.priority) }) : "";
    renderSource(ticket);
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

  /* "Đặt lịch 08:00–08:30" under the code of a booked ticket, "Từ xa" for a remote number. */
  function renderSource(ticket) {
    var box = $("ticket-source"), text = P.sourceText(ticket);
    box.textContent = text;
    box.classList.toggle("hidden", !text);
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

  // ---- bookings: the keypad, the ID card, the scanner ---------------------------------------
  var CODE_DIGITS = 8;
  var BOOKING_RE = /^(HDB1\.\S+|\d{4}[ -]?\d{4})$/;     // the QR, or the code (as printed: 1234 5678)
  var CARD_RE = /^\d{12}\|/;

  /* A booking's QR text or its 8-digit code: check it in (the ticket as if issued at the slot). */
  function checkIn(text) {
    if (state.busy) return;
    state.card = null;
    state.key = newKey();
    leaveOthers();
    send({ booking: text }, "booking");
  }

  /* An ID card's QR: held (in this page only, never stored) while the visitor chooses the service. */
  function holdCard(text) {
    if (state.busy) return;
    leaveOthers();
    state.card = text;
    state.key = null;
    if (state.screen === "services" && state.agency) renderCard();
    else if (state.screen === "priority" && state.agency) show("services");
    else { state.agency = null; state.service = null; show("agencies"); }
    state.screenAt = 0;                 // the visitor's next tap is meant for this screen
  }

  function dropCard() {
    state.card = null;
    renderCard();
  }

  function renderCard() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-card-banner]"), function (b) {
      b.classList.toggle("hidden", !state.card);
    });
    document.body.classList.toggle("card-held", !!state.card);
  }

  // -- the keypad of "Tôi đã đặt lịch" --
  function renderKeypad() {
    var pad = $("keypad");
    if (!pad.firstChild) {
      ["1", "2", "3", "4", "5", "6", "7", "8", "9", "del", "0", "ok"].forEach(function (k) {
        var b = el("button", "key" + (k === "del" ? " key-del" : k === "ok" ? " key-ok" : ""));
        b.type = "button";
        b.dataset.key = k;
        if (k === "del") { b.appendChild(el("span", "key-mark", "\u232B")); b.appendChild(el("span", "key-word", t("checkin.delete"))); }
        else if (k === "ok") b.appendChild(el("span", "key-word", t("checkin.ok")));
        else b.textContent = k;
        b.addEventListener("click", function () { keypadKey(k); });
        pad.appendChild(b);
      });
    } else {
      pad.querySelector(".key-del .key-word").textContent = t("checkin.delete");
      pad.querySelector(".key-ok .key-word").textContent = t("checkin.ok");
    }
    var boxes = $("checkin-code");
    clear(boxes);
    for (var i = 0; i < CODE_DIGITS; i++) {
      var digit = state.code.charAt(i);
      boxes.appendChild(el("span", "code-box" + (digit ? " filled" : "") + (i === state.code.length ? " next" : ""), digit || "\u00a0"));
      if (i === 3) boxes.appendChild(el("span", "code-gap"));
    }
    var left = CODE_DIGITS - state.code.length;
    $("checkin-left").textContent = left ? t("checkin.digits_left", { n: left }) : t("checkin.digits_done");
    $("checkin-left").classList.toggle("complete", !left);
    pad.querySelector(".key-ok").disabled = left > 0;
    pad.querySelector(".key-del").disabled = !state.code.length;
  }

  function keypadKey(k) {
    if (state.busy || state.screen !== "checkin") return;
    state.lastTouch = Date.now();
    if (k === "del") state.code = state.code.slice(0, -1);
    else if (k === "ok") { if (state.code.length === CODE_DIGITS) { var code = state.code; state.code = ""; checkIn(code); } return; }
    else if (state.code.length < CODE_DIGITS) state.code += k;
    renderKeypad();
  }

  function openKeypad() {
    state.code = "";
    state.card = null;
    show("checkin");
  }

  // -- the scanner --
  // A USB 2D scanner is a keyboard that types its text in a few milliseconds a key and ends it
  // with Enter; a person at a keyboard takes a tenth of a second or more between keys. Every key
  // is caught here first (capture phase) and kept from the page; at Enter, a fast text is a scan.
  // The lookup panel (lookup.js) takes a person's keys in its search and a scanned text that is
  // neither a booking nor an ID card (a dossier receipt's QR) through window.HangDoiKiosk.keys().
  var SCAN_KEY_MS = 50;                 // median time between a scanner's keys, at most
  var SCAN_PAUSE_MS = 1500;             // a pause this long starts a new text
  var PERSON_FLUSH_MS = 150;            // with the lookup open: a person's key goes on after this
  var scan = { text: "", gaps: [], last: 0, flush: null };
  var keyTakers = [];
  var leaveHooks = [];

  function median(list) {
    if (!list.length) return Infinity;
    var sorted = list.slice().sort(function (a, b) { return a - b; });
    return sorted[Math.floor(sorted.length / 2)];
  }

  function giveKey(kind, value) {
    for (var i = 0; i < keyTakers.length; i++) { if (keyTakers[i](kind, value)) return true; }
    return false;
  }

  function personKeys() {
    clearTimeout(scan.flush);
    var text = scan.text;
    scan.text = ""; scan.gaps = [];
    for (var i = 0; i < text.length; i++) giveKey("key", text.charAt(i));
  }

  function onKey(e) {
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    var k = e.key;
    if (k.length !== 1 && k !== "Enter" && k !== "Backspace" && k !== "Tab") return;
    e.preventDefault();                 // never typed into a field, never a click on a focused button
    e.stopImmediatePropagation();
    var now = Date.now();
    state.lastTouch = now;
    if (scan.text && now - scan.last > SCAN_PAUSE_MS) { scan.text = ""; scan.gaps = []; }
    if (k.length === 1) {
      if (scan.text) scan.gaps.push(now - scan.last);
      scan.text += k;
      scan.last = now;
      clearTimeout(scan.flush);
      if (keyTakers.length && lookupOpen()) scan.flush = setTimeout(personKeys, PERSON_FLUSH_MS);
      return;
    }
    if (k === "Backspace") {
      if (scan.text) { scan.text = scan.text.slice(0, -1); return; }
      giveKey("key", "Backspace");
      return;
    }
    if (k !== "Enter") return;
    clearTimeout(scan.flush);
    var text = scan.text, fast = text.length >= 6 && median(scan.gaps) <= SCAN_KEY_MS;
    scan.text = ""; scan.gaps = [];
    if (!text) { giveKey("key", "Enter"); return; }
    if (!fast) {                        // a person at a keyboard: the lookup's search may take it
      for (var i = 0; i < text.length; i++) giveKey("key", text.charAt(i));
      giveKey("key", "Enter");
      return;
    }
    scanned(text.trim());
  }

  function lookupOpen() { return !!document.body.dataset.lookup; }

  function scanned(text) {
    if (state.busy) return;
    if (BOOKING_RE.test(text)) { checkIn(text); return; }
    if (CARD_RE.test(text)) { holdCard(text); return; }
    if (lookupOpen() && giveKey("scan", text)) return;
    leaveOthers();
    message("checkin.scan_error_title", "checkin.bad_scan");
  }

  /* Whatever covers the kiosk's screens (the lookup panel) closes before a scan's screen. */
  function leaveOthers() { leaveHooks.forEach(function (fn) { fn(); }); }

  // ---- language, clock, idle --------------------------------------------------------------
  function applyLang() {
    P.i18n.setLang(state.lang);
    $("lang").textContent = P.t("common.lang_name", null, P.i18n.nextLang());
    if (state.screen === "agencies") renderAgencies();
    if (state.screen === "services") renderServices();
    if (state.screen === "priority") renderPriorities();
    if (state.screen === "checkin") renderKeypad();
    if (state.screen === "message") renderMessage();
    if (state.screen === "ticket" && state.ticket) {
      renderSource(state.ticket);
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
    } else if ((state.screen !== "agencies" || state.card) && state.screen !== "closed" && idle > cfg.idle_s * 1000) {
      home();                           // an ID card left behind is forgotten too
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
    window.addEventListener("keydown", onKey, true);       // the scanner, before anything else
    $("checkin-open").addEventListener("click", function () { if (!guardTap()) openKeypad(); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=drop-card]"), function (b) {
      b.addEventListener("click", function () { if (!guardTap()) dropCard(); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-action=back]"), function (b) {
      b.addEventListener("click", function () {
        if (guardTap()) return;
        if (state.screen === "priority") show("services");
        else if (state.screen === "services" && state.card) { state.agency = null; show("agencies"); }   // the card stays
        else home();
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
    },
    /* fn(kind, value) -> true when taken: kind "key" (a person's key: a character, "Backspace",
       "Enter") or "scan" (a scanned text that is neither a booking nor an ID card) */
    keys: function (fn) { keyTakers.push(fn); },
    /* fn() closes what covers the screens, before a scan's screen shows */
    onLeave: function (fn) { leaveHooks.push(fn); }
  };
  P.i18n.ready.then(function () { state.lang = P.i18n.lang; applyLang(); init(); });
}());
