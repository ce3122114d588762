/* Hàng Đợi — the supervisor's page (/supervisor): what every tab shares.
 *
 * The page is this file and one per tab, loaded in order: page.js (sign-in, the realtime
 * connection, formatting, the tabs), live.js, tickets.js, reports.js, users.js, then start.js.
 * They share window.HangDoiSupervisor (SV): this file puts the common parts there, each tab's
 * file adds what the others call (SV.renderLive, SV.loadTickets, SV.loadReport, SV.loadUsers...).
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
      if (view === "reports" && !state.report) SV.loadReport();
      if (view === "users") SV.loadUsers();
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
      SV.fillAgencySelects();
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
    if (!$("view-live").hidden) { SV.renderQueues(); SV.renderAlerts(); }
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
      SV.renderLive();
    }).catch(function (err) { if (err.status !== 401) say(errorText(err), "error"); });
    SV.loadTickets();
  }

  // what the tabs' scripts (live.js, tickets.js, reports.js, users.js) use; each adds its own
  var SV = window.HangDoiSupervisor = {
    state: state, staff: staff, $: $, setText: setText, el: el, clear: clear, token: token, user: user, say: say,
    errorText: errorText, request: request, api: api, ApiError: ApiError, tr: tr, statusText: statusText, now: now,
    duration: duration, minutes: minutes, number: number, clockText: clockText, localDate: localDate, show: show,
    refresh: refresh, start: start
  };

  /* A new language: re-draw what the page drew itself (the rest is data-i18n). */
  SV.redraw = function () {
    if (!$("view-login").hidden) return;
    show(state.view);
    if (state.overview) SV.renderLive();
    if (state.report) SV.renderReport(state.report);
    if (state.view === "users") SV.loadUsers();
  };
})();
