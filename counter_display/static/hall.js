/* Hàng Đợi — the hall board (/display/hall?token=...).
 *
 * State comes only from the server: `snapshot` (on every connect and reconnect) replaces it
 * whole; `call`, `desks` and `queues` update it. Every name is inserted as text.
 */
(function () {
  "use strict";
  var H = window.HangDoi, el = H.el, setText = H.setText;
  var config = H.readConfig();
  var MAX_RECENT = 9;           // rows in "Số vừa gọi"
  var KEEP_CALLS = 20;
  var FLASH_MS = 12000;         // the newest call stays highlighted this long
  var PAGE_MS = 9000;           // "Đang phục vụ" turns a page this often when it does not fit
  var REANNOUNCE_WINDOW_S = 120; // calls missed while cut off and younger than this are said on reconnect

  var clockOffset = (config.server_time_ms || Date.now()) - Date.now();   // the TV's clock may be wrong
  var agencyName = {};
  (config.agencies || []).forEach(function (a) { agencyName[a.code] = a.name; });

  var state = { calls: [], desks: {}, queues: {}, seen: {}, hadSnapshot: false, recentEvents: [] };
  var announcer = new Announcer({
    audio: document.getElementById("announcer"),
    enabled: !!(config.display && config.display.audio),
    onBlocked: function () { document.getElementById("sound-overlay").hidden = false; }
  });
  window.hallAnnouncer = announcer;   // for the browser tests and for debugging on a TV

  document.getElementById("sound-button").addEventListener("click", function () {
    document.getElementById("sound-overlay").hidden = true;
    announcer.unlock();
  });

  function setOffline(on) { document.getElementById("offline").hidden = !on; }

  // ---- rendering --------------------------------------------------------------------------
  function renderLatest(flash) {
    var call = state.calls[0];
    var box = document.getElementById("latest");
    if (!call) {
      setText("latest-code", "—"); setText("latest-desk", ""); setText("latest-desk-name", "");
      setText("latest-service", H.t("hall.no_calls"));
      document.getElementById("latest-service").hidden = false;
      document.getElementById("latest-recall").hidden = true;
      return;
    }
    setText("latest-code", call.ticket.code);
    setText("latest-desk", String(call.desk.number));
    setText("latest-desk-name", call.desk.name || "");
    var service = call.ticket.service_name || "";
    var agency = call.ticket.agency_name || agencyName[call.ticket.agency] || "";
    if (agency && (call.desk.name || "").indexOf(agency) >= 0) agency = "";   // "Quầy 46 – Ban Quản lý…" says it
    setText("latest-service", agency && service ? agency + " · " + service : agency || service);
    document.getElementById("latest-recall").hidden = !call.recall;
    fitLatest();
    if (flash) {
      box.classList.remove("flash");
      void box.offsetWidth;            // restart the animation
      box.classList.add("flash");
      clearTimeout(renderLatest.timer);
      renderLatest.timer = setTimeout(function () { box.classList.remove("flash"); }, FLASH_MS);
    }
  }

  /* The newest call as large as its line allows: the code at 170 px at most, 120 px at least,
   * the desk at 0.8 × that, side by side ("KCN001  ĐẾN QUẦY 46"). */
  function fitLatest() {
    var line = document.querySelector(".latest-line"), code = document.getElementById("latest-code");
    var desk = document.getElementById("latest-desk");
    var size = 170;
    var apply = function () { code.style.fontSize = size + "px"; desk.style.fontSize = Math.max(120, Math.round(size * 0.8)) + "px"; };
    apply();
    while (size > 120 && line.scrollWidth > line.clientWidth + 1) {
      size -= 5;
      apply();
    }
    // The desk's name and the service in two lines at most, so that the recent calls keep room:
    // a long desk name ("Quầy 46 – Ban Quản lý các khu công nghiệp") already says the agency.
    var name = document.getElementById("latest-desk-name"), service = document.getElementById("latest-service");
    service.hidden = false;
    var lineHeight = parseFloat(window.getComputedStyle(name).lineHeight) || 56;
    if (name.textContent && name.offsetHeight + service.offsetHeight > 2.5 * lineHeight) service.hidden = true;
  }

  function renderRecent() {
    var list = document.getElementById("recent-list");
    var rows = state.calls.slice(1, MAX_RECENT + 1).map(function (call) {
      return el("li", "recent-row" + (call.recall ? " is-recall" : ""), [
        el("span", "recent-code-box", [el("span", "recent-code", call.ticket.code)]),
        el("span", "recent-arrow", "→"),
        el("span", "recent-desk", String(call.desk.number))
      ]);
    });
    list.replaceChildren ? list.replaceChildren.apply(list, rows) : (list.textContent = "", rows.forEach(function (r) { list.appendChild(r); }));
    // As many whole rows as the panel holds (120 px numbers: about six), never half a row.
    var bottom = list.getBoundingClientRect().bottom + 1;
    var below = rows.map(function (row) { return row.getBoundingClientRect().bottom > bottom; });
    rows.forEach(function (row, i) { row.hidden = below[i]; });
  }

  function waitingOf(agency) {
    var total = 0;
    Object.keys(state.queues).forEach(function (code) {
      var q = state.queues[code];
      if (q.agency === agency) total += q.waiting || 0;
    });
    return total;
  }

  function renderServing() {
    var root = document.getElementById("agencies");
    var byAgency = {};
    Object.keys(state.desks).forEach(function (n) {
      var d = state.desks[n];
      (byAgency[d.agency] = byAgency[d.agency] || []).push(d);
    });
    var cards = [];
    (config.agencies || []).forEach(function (agency) {
      var desks = (byAgency[agency.code] || []).filter(function (d) { return d.state !== "closed" || d.current; });
      desks.sort(function (a, b) { return a.number - b.number; });
      var waiting = waitingOf(agency.code);
      if (!desks.length && !waiting) return;
      var chips = desks.map(function (d) {
        var code = d.current ? d.current.code : (d.state === "paused" ? H.t("hall.paused") : "—");
        var cls = "chip" + (d.current ? (d.current.status === "called" ? " is-called" : "") : " is-idle")
          + (d.state === "paused" && !d.current ? " is-paused" : "");
        return el("span", cls, [el("span", "chip-desk", String(d.number)), el("span", "chip-code", code)]);
      });
      if (!chips.length) chips.push(el("span", "chip is-idle", [el("span", "chip-code", H.t("hall.desk_not_open"))]));
      cards.push(el("div", "agency", [
        el("div", "agency-head", [
          el("span", "agency-name", agency.name),
          el("span", "agency-waiting", [el("span", "waiting-n", String(waiting)), H.t("hall.waiting")])
        ]),
        el("div", "chips", chips)
      ]));
    });
    if (!cards.length) cards.push(el("div", "agency empty", H.t("hall.no_desks")));
    root.replaceChildren ? root.replaceChildren.apply(root, cards) : (root.textContent = "", cards.forEach(function (c) { root.appendChild(c); }));
    layoutServing();
    paginate();
  }

  /* The largest type (--f, from F_MAX down to 48 px) and the number of columns (1 to 3, each at
   * least COLUMN_EMS × --f wide) at which every card fits the panel with no text sticking out.
   * When nothing fits even at 48 px, the columns that need the fewest pages. */
  var F_MAX = 120, F_MIN = 48, COLUMN_EMS = 8;
  function layoutServing() {
    var root = document.getElementById("agencies");
    root.style.transform = "";
    var width = root.clientWidth;
    var gap = parseFloat(window.getComputedStyle(root).columnGap) || 0;
    var set = function (f, cols) { root.style.setProperty("--f", f + "px"); root.style.columnCount = String(cols); };
    var overflows = function () {
      if (root.scrollWidth > width + 1) return true;                // more columns than the panel shows
      var names = root.querySelectorAll(".agency, .chip");
      for (var i = 0; i < names.length; i++) if (names[i].scrollWidth > names[i].clientWidth + 1) return true;
      return false;
    };
    var maxCols = function (f) { return Math.max(1, Math.min(3, Math.floor((width + gap) / (COLUMN_EMS * f + gap)))); };
    for (var f = F_MAX; f >= F_MIN; f -= 4) {
      for (var cols = 1; cols <= maxCols(f); cols++) {
        set(f, cols);
        if (!overflows()) return;
      }
    }
    var best = 1, fewest = Infinity;
    for (var c = 1; c <= maxCols(F_MIN); c++) {
      set(F_MIN, c);
      var pages = Math.ceil((root.scrollWidth + gap - 2) / (width + gap));
      if (pages < fewest) { fewest = pages; best = c; }
    }
    set(F_MIN, best);
  }

  // "Đang phục vụ" flows into columns; when there are more columns than fit, turn pages. Columns
  // repeat every (column width + gap), so page k starts k × (box width + gap) to the right.
  var page = 0;
  function paginate() {
    var root = document.getElementById("agencies");
    var gap = parseFloat(window.getComputedStyle(root).columnGap) || 0;
    var width = root.clientWidth;
    var pages = Math.max(1, Math.ceil((root.scrollWidth + gap - 2) / (width + gap)));
    if (page >= pages) page = 0;
    root.style.transform = page ? "translateX(" + (-page * (width + gap)) + "px)" : "";
    setText("page-mark", pages > 1 ? (page + 1) + "/" + pages : "");
  }
  setInterval(function () { page += 1; paginate(); }, PAGE_MS);

  function renderAll(flash) { renderLatest(flash); renderRecent(); renderServing(); }

  // ---- state ------------------------------------------------------------------------------
  function addCall(call) {
    state.calls = state.calls.filter(function (c) { return c.ticket.id !== call.ticket.id; });
    state.calls.unshift(call);
    if (state.calls.length > KEEP_CALLS) state.calls.length = KEEP_CALLS;
    state.seen[H.callKey(call)] = true;
    var d = state.desks[call.desk.number] || { number: call.desk.number, name: call.desk.name,
      agency: call.ticket.agency, pause_reason: null };
    d.state = "open";
    d.current = { id: call.ticket.id, code: call.ticket.code, status: call.ticket.status || "called",
                  service: call.ticket.service };
    state.desks[call.desk.number] = d;
    Object.keys(state.desks).forEach(function (n) {
      var other = state.desks[n];
      if (+n !== call.desk.number && other.current && other.current.id === call.ticket.id) other.current = null;
    });
  }

  function onCall(call) {
    if (!call || !call.ticket) return;
    var key = H.callKey(call);
    var now = Date.now();
    state.recentEvents.push({ at: now, call: call });
    while (state.recentEvents.length && state.recentEvents[0].at < now - 5000) state.recentEvents.shift();
    if (state.seen[key]) return;                      // already in the snapshot
    addCall(call);
    renderAll(true);
    announcer.add(call);
  }

  function onSnapshot(snap) {
    var before = state.seen;
    var first = !state.hadSnapshot;
    state.hadSnapshot = true;
    state.seen = {};
    state.desks = {};
    (snap.desks || []).forEach(function (d) { state.desks[d.number] = d; });
    state.queues = {};
    (snap.queues || []).forEach(function (q) { state.queues[q.code] = q; });
    var calls = (snap.calls || []).slice(0, KEEP_CALLS);
    calls.forEach(function (c) { state.seen[H.callKey(c)] = true; });
    state.calls = calls;
    // A call pushed in the instant between joining and the snapshot may have come first.
    var cutoff = Date.now() - 3000;
    state.recentEvents = state.recentEvents.filter(function (e) { return e.at >= cutoff; });
    var newest = calls.length ? Date.parse(calls[0].called_at) : 0;
    state.recentEvents.forEach(function (e) {
      if (!state.seen[H.callKey(e.call)] && Date.parse(e.call.called_at) >= newest) addCall(e.call);
    });
    renderAll(false);
    if (!first) {
      // Back after a cut: say the calls that were missed meanwhile, oldest first.
      var now = Date.now() + clockOffset;
      calls.slice().reverse().forEach(function (c) {
        if (!before[H.callKey(c)] && now - Date.parse(c.called_at) < REANNOUNCE_WINDOW_S * 1000) announcer.add(c);
      });
    }
  }

  function onDesks(msg) {
    (msg && msg.desks || []).forEach(function (d) { state.desks[d.number] = d; });
    renderServing();
  }

  var queuesPending = false;
  function onQueues(msg) {
    (msg && msg.services || []).forEach(function (q) { state.queues[q.code] = q; });
    if (queuesPending) return;
    queuesPending = true;
    setTimeout(function () { queuesPending = false; renderServing(); }, 250);
  }

  // ---- start ------------------------------------------------------------------------------
  function startTicker() {
    var notice = (config.center && config.center.notice) || "";
    var ticker = document.getElementById("ticker");
    if (!notice) { ticker.hidden = true; document.body.classList.add("no-ticker"); return; }
    var track = document.getElementById("ticker-track");
    // About 120 px a second, whatever the length of the notice.
    var seconds = Math.max(20, (track.scrollWidth + ticker.clientWidth) / 120);
    track.style.animationDuration = seconds + "s";
  }

  H.fitScreen(1920, 1080);
  announcer.probe();          // at once, as before the catalog: the overlay's words are in the HTML
  H.start(function () {
    // A new day: numbers restart, yesterday's calls go; a fresh page also frees a TV browser's memory.
    H.startClock(config, "clock-time", "clock-date", function () {
      setTimeout(function () { window.location.reload(); }, Math.random() * 60000);
    });
    startTicker();
    renderAll(false);
    window.hallSocket = H.connect({ snapshot: onSnapshot, call: onCall, desks: onDesks, queues: onQueues }, setOffline);
  });
})();
