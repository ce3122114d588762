/* Hàng Đợi — the supervisor's page (/supervisor).
 *
 * Sign in with POST /api/v1/auth/login; the access token stays in sessionStorage and goes out
 * only as "Authorization: Bearer ..." (no cookie: CSRF-safe by construction). The same token
 * opens the Socket.IO connection, which joins the "staff" and "queues" rooms.
 *
 * Live tab: GET /api/v1/supervision/overview gives queues, desks, devices and alerts; it is
 * fetched again (debounced) whenever Socket.IO says something changed, and every 15 s for
 * device states. Between fetches the page ticks every second: waits and pauses grow, and the
 * "late" and "paused too long" alerts are computed here from the same fields the server uses
 * (oldest_queued_at + target_wait_min, paused_at + 15 min), so an alert shows the moment it is due.
 *
 * Every name is inserted as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  var KEY_TOKEN = "hangdoi.supervisor.token", KEY_USER = "hangdoi.supervisor.user";

  var S_COLUMNS = ["issued", "served", "no_show", "cancelled", "avg_wait_s", "p90_wait_s", "avg_service_s",
    "p90_service_s", "within_target_pct", "rating_avg", "ratings"];

  var state = {
    catalog: null, overview: null, overviewAt: 0, socket: null, clockOffset: 0, view: "live",
    selected: null, tickets: [], refreshTimer: null, pollTimer: null, charts: {}, report: null, timeZone: undefined
  };

  // ---- shared with the desk console (static/staff.js) ----------------------------------------
  var staff = window.HangDoiStaff({
    tokenKey: KEY_TOKEN, userKey: KEY_USER, errors: { desk_busy: "error.desk_busy_other" },
    onUnauthorized: function (message) { signedOut(message); }
  });
  var $ = staff.$, setText = staff.setText, el = staff.el, clear = staff.clear;
  var token = staff.token, user = staff.user, say = staff.say, errorText = staff.errorText;
  var request = staff.request, api = staff.api, ApiError = staff.ApiError;
  /* the page's words: supervisor.* of the catalog, or a full key */
  function tr(key, params) { return staff.t(window.HangDoiPage.i18n.has("supervisor." + key) ? "supervisor." + key : key, params); }
  function statusText(s) { return tr(s === "waiting" || s === "no_show" ? "common.status." + s : "st." + s); }

  function now() { return (Date.now() + state.clockOffset) / 1000; }

  /* "8 phút 45 giây", never "8:45" (that reads as a time of day) */
  function duration(seconds) { return staff.duration(seconds); }
  function minutes(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 60) return seconds > 0 ? tr("under_min") : tr("minutes", { n: 0 });
    return tr("minutes", { n: Math.round(seconds / 60) });
  }
  function number(value, digits) {
    if (value === null || value === undefined) return "—";
    return Number(value).toLocaleString("vi-VN", { maximumFractionDigits: digits || 0 });
  }
  function clockText(ts) {
    try {
      return new Intl.DateTimeFormat("vi-VN", { hour: "2-digit", minute: "2-digit", hour12: false,
        timeZone: state.timeZone }).format(new Date(ts * 1000));
    } catch (e) { return new Date(ts * 1000).toTimeString().slice(0, 5); }
  }
  function localDate(ts) {       // YYYY-MM-DD in the center's timezone
    try {
      return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit",
        timeZone: state.timeZone }).format(new Date(ts * 1000));
    } catch (e) { return new Date(ts * 1000).toISOString().slice(0, 10); }
  }

  // ---- views ----------------------------------------------------------------------------------
  function show(view) {
    ["login", "live", "reports", "users"].forEach(function (v) { $("view-" + v).hidden = v !== view; });
    var signedIn = view !== "login";
    $("tabs").hidden = !signedIn;
    $("sign-out").hidden = !signedIn;
    $("tab-users").hidden = !(signedIn && user() && user().role === "admin");
    setText("user-name", signedIn && user() ? user().username + " (" + tr("role." + user().role) + ")" : "");
    Array.prototype.forEach.call(document.querySelectorAll(".tab"), function (tab) {
      tab.classList.toggle("active", tab.getAttribute("data-view") === view);
    });
    if (signedIn) state.view = view;
  }

  Array.prototype.forEach.call(document.querySelectorAll(".tab"), function (tab) {
    tab.addEventListener("click", function () {
      var view = tab.getAttribute("data-view");
      show(view);
      if (view === "reports" && !state.report) loadReport();
      if (view === "users") loadUsers();
    });
  });

  // ---- sign in / out --------------------------------------------------------------------------
  function signedOut(message) {
    staff.forget();
    if (state.socket) { state.socket.disconnect(); state.socket = null; }
    clearInterval(state.pollTimer);
    state.overview = null;
    show("login");
    if (message) { setText("login-hint", message); $("login-hint").removeAttribute("data-i18n"); }   // kept on a switch
    $("login-password").value = "";
    $("login-username").focus();
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var button = $("login-submit");
    button.disabled = true;
    api("POST", "/auth/login", { username: $("login-username").value.trim(), password: $("login-password").value })
      .then(function (data) {
        if (data.user.role !== "supervisor" && data.user.role !== "admin") {
          throw new ApiError(403, "not_supervisor", "");
        }
        staff.remember(data);
        $("message").hidden = true;              // an earlier "wrong password" is no longer true
        $("login-password").value = "";
        start();
      })
      .catch(function (err) { say(errorText(err), "error"); })
      .then(function () { button.disabled = false; });
  });
  $("sign-out").addEventListener("click", function () { signedOut(tr("signed_out")); });

  function start() {
    show("live");
    api("GET", "/catalog").then(function (catalog) {
      state.catalog = catalog;
      state.timeZone = catalog.center.timezone;
      fillAgencySelects();
      refresh();
    }).catch(function (err) { say(errorText(err), "error"); });
    connect();
    clearInterval(state.pollTimer);
    state.pollTimer = setInterval(refresh, 15000);
  }

  // ---- realtime -------------------------------------------------------------------------------
  function setConn(ok) {
    var c = $("conn");
    c.className = "conn " + (ok ? "on" : "off");
    c.textContent = tr(ok ? "online" : "printer.offline");
  }

  function connect() {
    if (state.socket || !window.io) { if (!window.io) setConn(false); return; }
    var socket = staff.socket("/supervision/overview", function (s) { return state.socket === s; });
    state.socket = socket;
    setConn(false);
    socket.on("connect", function () { setConn(true); scheduleRefresh(); });
    socket.on("disconnect", function () { setConn(false); });
    socket.on("connect_error", function (err) {
      setConn(false);
      if (err && /invalid_token/.test(String(err.message))) signedOut(staff.error("invalid_token"));
    });
    socket.on("queues", function (msg) { applyQueues(msg && msg.services); scheduleRefresh(); });
    ["snapshot", "desk", "desks", "call", "ticket"].forEach(function (name) {
      socket.on(name, scheduleRefresh);
    });
  }

  // the waiting counts of a "queues" push, shown at once (the overview fetch follows)
  function applyQueues(services) {
    if (!state.overview || !services) return;
    var byCode = {};
    services.forEach(function (s) { byCode[s.code] = s; });
    state.overview.agencies.forEach(function (a) {
      a.services.forEach(function (s) {
        var q = byCode[s.code];
        if (!q) return;
        s.waiting = q.waiting;
        s.estimated_wait_s = q.estimated_wait_s;
        if (!q.waiting) s.oldest_queued_at = null;
        else if (!s.oldest_queued_at) s.oldest_queued_at = now() - (q.longest_wait_s || 0);
      });
    });
    if (!$("view-live").hidden) { renderQueues(); renderAlerts(); }
  }

  function scheduleRefresh() {
    if (state.refreshTimer) return;
    state.refreshTimer = setTimeout(function () { state.refreshTimer = null; refresh(); }, 250);
  }

  function refresh() {
    if (!token()) return;
    api("GET", "/supervision/overview").then(function (overview) {
      state.clockOffset = overview.now * 1000 - Date.now();
      state.overview = overview;
      renderLive();
    }).catch(function (err) { if (err.status !== 401) say(errorText(err), "error"); });
    loadTickets();
  }

  // ---- live tab -------------------------------------------------------------------------------
  function renderLive() {
    renderQueues();
    renderDesks();
    renderDevices();
    renderAlerts();
    renderActionBox();
  }

  function tick() {
    setText("clock", state.timeZone ? clockText(now()) : "");
    if (!state.overview || $("view-live").hidden) return;
    renderQueues();
    renderDesks();
    renderAlerts();
  }

  function waitOf(service) { return service.oldest_queued_at ? now() - service.oldest_queued_at : 0; }

  function renderQueues() {
    var body = $("queues");
    clear(body);
    state.overview.agencies.forEach(function (agency) {
      var waiting = 0, late = false;
      agency.services.forEach(function (s) {
        waiting += s.waiting;
        if (s.oldest_queued_at && waitOf(s) > s.target_wait_min * 60) late = true;
      });
      var head = el("tr", "agency-row" + (late ? " late" : ""));
      var name = el("th", null, agency.name);
      name.appendChild(el("span", "muted", tr("agency_meta", { code: agency.code, n: agency.issued_today })));
      head.appendChild(name);
      head.appendChild(el("td", "num strong", waiting));
      head.appendChild(el("td", null, ""));
      head.appendChild(el("td", null, ""));
      head.appendChild(el("td", null, ""));
      body.appendChild(head);
      agency.services.forEach(function (s) {
        var wait = waitOf(s), isLate = s.oldest_queued_at && wait > s.target_wait_min * 60;
        var row = el("tr", "service-row" + (isLate ? " late" : "") + (s.waiting ? "" : " quiet"));
        row.setAttribute("data-service", s.code);
        row.appendChild(el("td", "service-name", s.name));
        row.appendChild(el("td", "num", s.waiting));
        row.appendChild(el("td", "num wait", s.waiting ? duration(wait) : "—"));
        row.appendChild(el("td", "num", s.waiting ? minutes(s.estimated_wait_s) : "—"));
        row.appendChild(el("td", "num muted", tr("minutes", { n: s.target_wait_min })));
        body.appendChild(row);
      });
    });
  }

  function ticketTime(iso) { return iso ? Date.parse(iso) / 1000 : null; }

  function renderDesks() {
    var box = $("desks");
    clear(box);
    state.overview.desks.forEach(function (d) {
      var t = d.current_ticket, kind, label, detail = "", since = null;
      if (d.state === "closed") { kind = "closed"; label = tr("desk.closed"); }
      else if (d.state === "paused") {
        kind = "paused"; detail = d.pause_reason || ""; since = d.paused_at_ts;
        label = since ? tr("desk.paused_for", { min: Math.max(0, Math.floor((now() - since) / 60)) }) : tr("desk.paused");
      }
      else if (t && t.status === "serving") { kind = "serving"; label = tr("st.serving"); detail = t.code; since = ticketTime(t.started_at); }
      else if (t) { kind = "called"; label = tr("st.called"); detail = t.code; since = ticketTime(t.called_at); }
      else { kind = "idle"; label = tr("desk.idle"); }
      var card = el("div", "desk " + kind);
      card.setAttribute("data-desk", d.number);
      if (kind === "paused" && since && now() - since > state.overview.thresholds.pause_alert_min * 60) {
        card.classList.add("late");
      }
      var top = el("div", "desk-top");
      top.appendChild(el("span", "desk-number", d.number));
      top.appendChild(el("span", "desk-agency", d.agency));
      card.appendChild(top);
      card.appendChild(el("div", "desk-state", label));
      var meta = el("div", "desk-meta");
      if (detail) meta.appendChild(el("span", kind === "paused" ? "desk-reason" : "desk-code", detail));
      var source = kind === "serving" || kind === "called" ? window.HangDoiPage.sourceText(t, true) : "";
      if (source) meta.appendChild(el("span", "source-badge " + t.source, source));
      if (since) meta.appendChild(el("span", "desk-timer", duration(now() - since)));
      if (!meta.firstChild) meta.textContent = "\u00a0";
      card.appendChild(meta);
      card.appendChild(el("div", "desk-officer", d.officer ? tr("desk.officer", { officer: d.officer }) : kind === "closed" ? tr("desk.no_officer") : "\u00a0"));
      card.title = d.name + " — " + d.agency_name + (d.officer ? " — " + d.officer : "") +
        " — " + tr("desk.served_today", { n: d.served_today });
      box.appendChild(card);
    });
  }

  function renderDevices() {
    var devices = state.overview.devices, body = $("devices");
    clear(body);
    devices.kiosks.forEach(function (k) {
      var row = el("tr");
      row.appendChild(el("td", null, tr("dev.kiosk", { name: k.name })));
      row.appendChild(connCell(k.connected));
      var p = k.printer;
      var cell = el("td", p ? "printer " + p.state : "muted", p ? tr("printer." + p.state) +
        (p.detail ? " — " + p.detail : "") : tr("dev.no_data"));
      if (p && p.updated_at) cell.title = tr("dev.updated", { time: clockText(p.updated_at) });
      var jobs = k.print_jobs;
      if (jobs && jobs.failed) {      // the truth of the paper: tickets the printer did not take (or not confirm)
        var f = jobs.last_failure;
        var why = f && f.error && !(p && p.detail === f.error) ? ": " + f.error : "";
        cell.appendChild(el("div", "print-failed", tr("print_failed", { n: jobs.failed }) +
          (f ? " " + tr("print_failed_last", { code: f.code, why: why }) : "")));
      }
      row.appendChild(cell);
      body.appendChild(row);
    });
    devices.other_states.forEach(function (o) {
      var row = el("tr");
      row.appendChild(el("td", null, tr("dev.other", { id: o.id })));
      row.appendChild(el("td", "muted", "—"));
      row.appendChild(el("td", "printer " + o.state, tr("printer." + o.state) + (o.detail ? " — " + o.detail : "")));
      body.appendChild(row);
    });
    devices.displays.forEach(function (d) {
      var row = el("tr");
      row.appendChild(el("td", null, d.kind === "hall" ? tr("dev.hall", { name: d.name }) : tr("dev.desk", { desk: d.desk, name: d.name })));
      row.appendChild(connCell(d.connected));
      row.appendChild(el("td", "muted", "—"));
      body.appendChild(row);
    });
    $("printer-empty").hidden = devices.has_printer_data;
  }
  function connCell(on) { return el("td", on ? "on" : "off", tr(on ? "dev.connected" : "dev.disconnected")); }

  // the same rules as server/reports/live.py, evaluated every second
  function currentAlerts() {
    var o = state.overview, t = now(), out = [];
    o.agencies.forEach(function (agency) {
      agency.services.forEach(function (s) {
        if (!s.oldest_queued_at) return;
        var since = s.oldest_queued_at + s.target_wait_min * 60;
        if (t > since) {
          out.push({ kind: "late", level: "error", since: since,
            text: tr("alert.late_text", { service: s.name, agency: agency.name, target: s.target_wait_min, n: s.waiting,
                                          longest: duration(t - s.oldest_queued_at) }) });
        }
      });
    });
    o.desks.forEach(function (d) {
      if (d.state !== "paused" || !d.paused_at_ts) return;
      var since = d.paused_at_ts + o.thresholds.pause_alert_min * 60;
      if (t > since) {
        out.push({ kind: "paused", level: "warning", since: since,
          text: tr("alert.paused_text", { desk: d.name, min: o.thresholds.pause_alert_min, "for": duration(t - d.paused_at_ts),
                                          reason: d.pause_reason || "" }) });
      }
    });
    o.alerts.forEach(function (a) {
      if (a.kind !== "late" && a.kind !== "paused") out.push({ kind: a.kind, level: a.level, since: a.since_ts, text: a.message });
    });
    out.sort(function (a, b) { return a.since - b.since; });
    return out;
  }


  function renderAlerts() {
    var alerts = currentAlerts(), list = $("alerts");
    clear(list);
    alerts.forEach(function (a) {
      var li = el("li", "alert " + a.level + " " + a.kind);
      li.appendChild(el("time", "alert-time", clockText(a.since)));
      li.appendChild(el("span", "alert-kind", tr("alert." + a.kind)));
      li.appendChild(el("span", "alert-text", a.text));
      list.appendChild(li);
    });
    $("alerts-empty").hidden = alerts.length > 0;
    var errors = alerts.filter(function (a) { return a.level === "error"; }).length;
    var bar = $("status-bar");
    bar.className = "status-bar " + (errors ? "error" : alerts.length ? "warning" : "ok");
    setText("status-count", alerts.length);
    setText("status-text", tr(alerts.length ? "alerts_to_handle" : "all_well"));
    var waiting = 0, open = 0, serving = 0;
    state.overview.agencies.forEach(function (a) { a.services.forEach(function (s) { waiting += s.waiting; }); });
    state.overview.desks.forEach(function (d) {
      if (d.state !== "closed") open += 1;
      if (d.current_ticket) serving += 1;
    });
    setText("status-summary", tr("summary", { waiting: waiting, open: open, desks: state.overview.desks.length, serving: serving }));
  }

  // ---- tickets and actions --------------------------------------------------------------------
  function fillAgencySelects() {
    ["ticket-agency", "report-agency", "new-agency"].forEach(function (id) {
      var select = $(id), first = select.options[0];
      clear(select);
      select.appendChild(first);
      state.catalog.agencies.forEach(function (a) {
        // the code after the name, unless the name already ends with it ("Viễn thông Thái Nguyên (VNPT)")
        var option = el("option", null, a.name.indexOf("(" + a.code + ")") >= 0 ? a.name : a.name + " (" + a.code + ")");
        option.value = a.code;
        select.appendChild(option);
      });
    });
    var services = $("action-service");
    clear(services);
    state.catalog.agencies.forEach(function (a) {
      var group = document.createElement("optgroup");
      group.label = a.name;
      a.services.forEach(function (s) {
        var option = el("option", null, s.name);
        option.value = s.code;
        group.appendChild(option);
      });
      services.appendChild(group);
    });
  }

  $("ticket-status").addEventListener("change", loadTickets);
  $("ticket-agency").addEventListener("change", loadTickets);

  function loadTickets() {
    var query = "?status=" + encodeURIComponent($("ticket-status").value) +
      ($("ticket-agency").value ? "&agency=" + encodeURIComponent($("ticket-agency").value) : "");
    api("GET", "/supervision/tickets" + query).then(function (data) {
      state.tickets = data.tickets;
      renderTickets();
    }).catch(function (err) { if (err.status !== 401) say(errorText(err), "error"); });
  }

  function renderTickets() {
    var body = $("tickets");
    clear(body);
    var found = false;
    state.tickets.forEach(function (t) {
      var row = el("tr", "ticket-row " + t.status);
      row.setAttribute("data-ticket", t.id);
      row.tabIndex = 0;
      if (state.selected && state.selected.id === t.id) { row.classList.add("selected"); found = true; state.selected = t; }
      var code = el("td", "code", t.code);
      if (t.priority) code.appendChild(el("span", "prio", tr("prio_mark")));
      var source = window.HangDoiPage.sourceText(t, true);          // "Đặt lịch 08:00", "Từ xa"
      if (source) code.appendChild(el("span", "source-badge " + t.source, source));
      row.appendChild(code);
      row.appendChild(el("td", null, t.service_name));
      row.appendChild(el("td", null, statusText(t.status)));
      row.appendChild(el("td", "num", duration(t.waited_s)));
      row.appendChild(el("td", "num", t.desk || "—"));
      row.addEventListener("click", function () { select(t); });
      row.addEventListener("keydown", function (e) { if (e.key === "Enter") select(t); });
      body.appendChild(row);
    });
    if (!found) state.selected = null;
    $("tickets-empty").hidden = state.tickets.length > 0;
    renderActionBox();
  }

  function select(t) {
    state.selected = t;
    renderTickets();
  }

  function renderActionBox() {
    var t = state.selected, box = $("action-box");
    box.hidden = !t;
    if (!t || !state.overview) return;
    setText("action-code", t.code);
    setText("action-info", "— " + t.service_name + " — " + statusText(t.status) +
      (t.priority ? " — " + tr("prio_info", { p: tr("priority." + t.priority) }) : ""));
    var desks = $("action-desk"), keep = desks.value;
    clear(desks);
    state.overview.desks.forEach(function (d) {
      var offers = d.services.some(function (s) { return s.code === t.service; });
      if (!offers) return;
      var free = d.state === "open" && !d.current_ticket;
      var option = el("option", null, d.name + " — " + tr(free ? "opt.free" : d.state === "closed" ? "opt.closed" :
        d.state === "paused" ? "opt.paused" : "opt.busy"));
      option.value = d.number;
      option.disabled = !free;
      desks.appendChild(option);
    });
    if (keep) desks.value = keep;
    if (desks.selectedIndex < 0 || (desks.options[desks.selectedIndex] || {}).disabled) {
      for (var i = 0; i < desks.options.length; i++) { if (!desks.options[i].disabled) { desks.selectedIndex = i; break; } }
    }
    var waiting = t.status === "waiting";
    var chosen = desks.selectedIndex >= 0 ? desks.options[desks.selectedIndex] : null;
    $("action-call").disabled = !waiting || !chosen || chosen.disabled;
    // Say why "Gọi số này" cannot be pressed (Vietnamese, then English).
    var why = "";
    if (waiting && !desks.options.length) {
      why = tr("why.no_desk");
    } else if (waiting && (!chosen || chosen.disabled)) {
      var states = state.overview.desks.filter(function (d) {
        return d.services.some(function (s) { return s.code === t.service; });
      }).map(function (d) { return d.state; });
      why = states.every(function (st) { return st === "closed"; })
        ? tr("why.all_closed") : tr("why.none_free");
    } else if (!waiting) {
      why = tr("why.not_waiting");
    }
    setText("action-why", why);
    $("action-why").hidden = !why;
    $("action-move").disabled = !waiting;
    $("action-cancel").disabled = !(waiting || t.status === "called");
    $("action-reactivate").disabled = t.status !== "no_show";
  }

  function act(path, body, done) {
    var t = state.selected;
    if (!t) return;
    api("POST", "/tickets/" + t.id + "/" + path, body).then(function (data) {
      say(tr(done, { code: data.ticket.code }), "ok");
      refresh();
    }).catch(function (err) { say(errorText(err), "error"); });
  }
  $("action-call").addEventListener("click", function () {
    var desk = parseInt($("action-desk").value, 10);
    if (!desk) { say(tr("choose_free_desk"), "error"); return; }
    act("call", { desk: desk }, "done.call");
  });
  $("action-move").addEventListener("click", function () {
    act("move", { service: $("action-service").value }, "done.move");
  });
  $("action-cancel").addEventListener("click", function () {
    var reason = $("action-reason").value.trim();
    act("cancel", reason ? { reason: reason } : {}, "done.cancel");
    $("action-reason").value = "";
  });
  $("action-reactivate").addEventListener("click", function () { act("reactivate", {}, "done.reactivate"); });

  // ---- reports --------------------------------------------------------------------------------
  /* The date fields are written dd/mm/yyyy (a browser's own date field follows its locale:
   * 12/04/2026 in an English one); the API wants YYYY-MM-DD. Anything else goes as it is and the
   * server says what is wrong with it. */
  function isoDate(text) {
    var v = String(text || "").trim(), m = /^(\d{1,2})[\/.-](\d{1,2})[\/.-](\d{4})$/.exec(v);
    return m ? m[3] + "-" + ("0" + m[2]).slice(-2) + "-" + ("0" + m[1]).slice(-2) : v;
  }
  function reportQuery() {
    var q = "from=" + encodeURIComponent(isoDate($("report-from").value)) + "&to=" + encodeURIComponent(isoDate($("report-to").value));
    if ($("report-agency").value) q += "&agency=" + encodeURIComponent($("report-agency").value);
    return q;
  }

  $("report-form").addEventListener("submit", function (event) { event.preventDefault(); loadReport(); });

  function loadReport() {
    if (!$("report-from").value) {
      var today = staff.formatDate(localDate(now()));      // dd/mm/yyyy, whatever the browser's locale
      $("report-from").value = today;
      $("report-to").value = today;
    }
    $("report-submit").disabled = true;
    api("GET", "/reports/summary?" + reportQuery()).then(function (report) {
      state.report = report;
      $("report-body").hidden = false;
      renderReport(report);
    }).catch(function (err) { say(errorText(err), "error"); })
      .then(function () { $("report-submit").disabled = false; });
  }

  function figure(key, value) {
    if (value === null || value === undefined) return "—";
    if (/_s$/.test(key)) return duration(value);
    if (key === "within_target_pct") return number(value, 1) + "%";
    if (key === "rating_avg") return number(value, 2) + " / 5";
    return number(value);
  }

  function renderReport(r) {
    var kpis = $("kpis"), t = r.totals;
    clear(kpis);
    ["issued", "served", "no_show", "cancelled", "avg_wait_s", "p90_wait_s", "avg_service_s", "p90_service_s",
     "within_target_pct", "rating_avg"].map(function (k) { return [k, tr("kpi." + k)]; }).forEach(function (k) {
      var card = el("div", "kpi");
      card.appendChild(el("div", "kpi-value", figure(k[0], t[k[0]])));
      card.appendChild(el("div", "kpi-label", k[1] + (k[0] === "rating_avg" ? " (" + tr("kpi.ratings_n", { n: number(t.ratings) }) + ")" : "")));
      kpis.appendChild(card);
    });
    figuresTable("table-agencies", [["name", tr("agency")]], r.by_agency, t);
    figuresTable("table-desks", [["name", tr("desks")], ["agency", tr("agency")]], r.by_desk, null);
    figuresTable("table-officers", [["username", tr("role.officer")]], r.by_officer, null);
    figuresTable("table-hours", [["hour", tr("hour")]], r.by_hour.map(function (h) {
      var copy = {}; for (var k in h) copy[k] = h[k];
      copy.hour = (h.hour < 10 ? "0" : "") + h.hour + ":00–" + (h.hour < 9 ? "0" : "") + (h.hour + 1) + ":00";
      return copy;
    }), t);
    drawCharts(r);
  }

  function figuresTable(id, keys, rows, totals) {
    var table = $(id);
    clear(table);
    var head = el("thead"), headRow = el("tr");
    keys.concat(S_COLUMNS.map(function (c) { return [c, tr("col." + c)]; })).forEach(function (c, i) {
      headRow.appendChild(el("th", i >= keys.length ? "num" : null, c[1]));
    });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = el("tbody");
    rows.forEach(function (row) {
      var line = el("tr", row.issued ? null : "quiet");
      keys.forEach(function (c) { line.appendChild(el("td", null, row[c[0]])); });
      S_COLUMNS.forEach(function (c) { line.appendChild(el("td", "num", figure(c, row[c]))); });
      body.appendChild(line);
    });
    if (!rows.length) {
      var empty = el("tr");
      var cell = el("td", "muted", tr("no_tickets_in_period"));
      cell.colSpan = keys.length + S_COLUMNS.length;
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    table.appendChild(body);
    if (totals) {
      var foot = el("tfoot"), sum = el("tr");
      keys.forEach(function (c, i) { sum.appendChild(el("th", null, i === 0 ? tr("total") : "")); });
      S_COLUMNS.forEach(function (c) { sum.appendChild(el("td", "num", figure(c, totals[c]))); });
      foot.appendChild(sum);
      table.appendChild(foot);
    }
  }

  function drawCharts(r) {
    if (!window.Chart) return;
    Object.keys(state.charts).forEach(function (k) { state.charts[k].destroy(); });
    state.charts = {};
    var font = { family: "'DejaVu Sans', 'Segoe UI', Arial, sans-serif" };
    window.Chart.defaults.font.family = font.family;
    // a working day's hours at least (07:00–17:00), so that one busy hour does not fill the chart
    var hours = [], byHour = {};
    r.by_hour.forEach(function (h) { byHour[h.hour] = h; });
    var first = Math.min(7, r.by_hour.length ? r.by_hour[0].hour : 7);
    var last = Math.max(16, r.by_hour.length ? r.by_hour[r.by_hour.length - 1].hour : 16);
    for (var hour = first; hour <= last; hour++) {
      hours.push(byHour[hour] || { hour: hour, issued: 0, avg_wait_s: null });
    }
    state.charts.hours = new window.Chart($("chart-hours"), {
      data: {
        labels: hours.map(function (h) { return h.hour + "h"; }),
        datasets: [
          { type: "bar", label: tr("chart.issued"), data: hours.map(function (h) { return h.issued; }),
            backgroundColor: "#2f6fb3", yAxisID: "y", order: 2 },
          { type: "line", label: tr("chart.avg_wait"), yAxisID: "y1", order: 1, borderColor: "#d9822b",
            backgroundColor: "#d9822b", tension: 0, spanGaps: false,
            data: hours.map(function (h) { return h.avg_wait_s === null ? null : Math.round(h.avg_wait_s / 6) / 10; }) }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { beginAtZero: true, title: { display: true, text: tr("chart.issued") }, ticks: { precision: 0 } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
            title: { display: true, text: tr("chart.wait_min") } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
    var agencies = r.by_agency.filter(function (a) { return a.issued > 0; });
    if (!agencies.length) agencies = r.by_agency;
    state.charts.agencies = new window.Chart($("chart-agencies"), {
      type: "bar",
      data: {
        labels: agencies.map(function (a) { return a.code; }),
        datasets: [
          { label: tr("chart.issued_agency"), data: agencies.map(function (a) { return a.issued; }), backgroundColor: "#2f6fb3" },
          { label: tr("kpi.served"), data: agencies.map(function (a) { return a.served; }), backgroundColor: "#3a9d5d" },
          { label: tr("chart.lost"), data: agencies.map(function (a) { return a.no_show + a.cancelled; }),
            backgroundColor: "#c0504d" }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { title: function (items) { return agencies[items[0].dataIndex].name; } } }
        }
      }
    });
  }

  function download(format) {
    var query = reportQuery() + "&format=" + format;
    request("GET", "/reports/tickets?" + query, undefined, true).then(function (response) {
      var disposition = response.headers.get("Content-Disposition") || "";
      var match = /filename="([^"]+)"/.exec(disposition);
      return response.blob().then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = el("a");
        a.href = url;
        a.download = match ? match[1] : "hangdoi." + format;
        document.body.appendChild(a);
        a.click();
        document.body.removeChild(a);
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        say(tr("downloaded", { file: a.download }), "ok");
      });
    }).catch(function (err) { say(errorText(err), "error"); });
  }
  $("download-csv").addEventListener("click", function () { download("csv"); });
  $("download-xlsx").addEventListener("click", function () { download("xlsx"); });

  // ---- users (admins) -------------------------------------------------------------------------
  function loadUsers() {
    api("GET", "/admin/users").then(function (data) { renderUsers(data.users); })
      .catch(function (err) { say(errorText(err), "error"); });
  }

  function renderUsers(users) {
    var body = $("users");
    clear(body);
    users.forEach(function (u) {
      var row = el("tr", u.active ? null : "quiet");
      row.setAttribute("data-user", u.username);
      row.appendChild(el("td", "strong", u.username));
      row.appendChild(el("td", null, tr("role." + u.role)));
      var agencyCell = el("td"), agency = document.createElement("select");
      agency.appendChild(el("option", null, tr("none")));
      agency.options[0].value = "";
      state.catalog.agencies.forEach(function (a) {
        var o = el("option", null, a.code);
        o.value = a.code;
        o.title = a.name;
        agency.appendChild(o);
      });
      agency.value = u.agency || "";
      agency.setAttribute("aria-label", tr("user.agency_of", { user: u.username }));
      agency.addEventListener("change", function () {
        userAction("agency", { username: u.username, agency: agency.value || null }, "user.agency_changed");
      });
      agencyCell.appendChild(agency);
      row.appendChild(agencyCell);
      row.appendChild(el("td", u.active ? "on" : "off", tr(u.active ? "user.active" : "user.inactive")));
      var actions = el("td", "user-actions");
      var toggle = el("button", u.active ? "danger" : null, tr(u.active ? "user.disable" : "user.enable"));
      toggle.type = "button";
      toggle.addEventListener("click", function () {
        userAction(u.active ? "disable" : "enable", { username: u.username },
          u.active ? "user.disabled" : "user.enabled");
      });
      var password = el("input");
      password.type = "password";
      password.placeholder = tr("user.new_password");
      password.autocomplete = "new-password";
      password.setAttribute("aria-label", tr("user.new_password_for", { user: u.username }));
      var reset = el("button", null, tr("user.reset"));
      reset.type = "button";
      reset.addEventListener("click", function () {
        userAction("password", { username: u.username, password: password.value }, "user.password_reset");
      });
      actions.appendChild(toggle);
      actions.appendChild(password);
      actions.appendChild(reset);
      row.appendChild(actions);
      body.appendChild(row);
    });
  }

  function userAction(path, body, done) {
    api("POST", "/admin/users/" + path, body).then(function (data) {
      say(tr(done, { user: data.user.username }), "ok");
      loadUsers();
    }).catch(function (err) { say(errorText(err), "error"); loadUsers(); });
  }

  $("user-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = { username: $("new-username").value.trim(), password: $("new-password").value,
      role: $("new-role").value, agency: $("new-agency").value || null };
    api("POST", "/admin/users", body).then(function (data) {
      say(tr("user.added", { user: data.user.username }), "ok");
      $("new-username").value = "";
      $("new-password").value = "";
      loadUsers();
    }).catch(function (err) { say(errorText(err), "error"); });
  });

  // ---- start ----------------------------------------------------------------------------------
  /* A new language: re-draw what the page drew itself (the rest is data-i18n). */
  function redraw() {
    if (!$("view-login").hidden) return;
    show(state.view);
    if (state.overview) renderLive();
    if (state.report) renderReport(state.report);
    if (state.view === "users") loadUsers();
  }

  setInterval(tick, 1000);
  staff.languages(redraw).then(function () { if (token() && user()) start(); else show("login"); });
})();
