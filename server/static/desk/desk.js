/* Hàng Đợi — the officer's desk console (/desk).
 *
 * Sign in with POST /api/v1/auth/login; the access token stays in sessionStorage (gone when the
 * tab closes) and goes out only as "Authorization: Bearer ...". No cookie is ever set, so a
 * request forged by another site carries no credentials: the console is CSRF-safe by
 * construction. The token also authenticates the Socket.IO connection (auth: {token}).
 *
 * Everything shown comes from the server (GET /api/v1/desks/N, the `desk` and `queues` events),
 * so a reload shows the same state. Names are inserted as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  var KEY_TOKEN = "hangdoi.desk.token", KEY_USER = "hangdoi.desk.user", KEY_DESK = "hangdoi.desk.number";
  var state = { desk: null, number: null, catalog: null, busy: false, socket: null, clockOffset: 0 };

  // ---- shared with the supervisor's page (static/staff.js) -----------------------------------
  var staff = window.HangDoiStaff({
    tokenKey: KEY_TOKEN, userKey: KEY_USER, errors: { forbidden: "error.forbidden_desk" },
    onUnauthorized: function (message) { signedOut(message); },
    onClock: function (offset) { state.clockOffset = offset; }
  });
  var $ = staff.$, setText = staff.setText, el = staff.el, clear = staff.clear, store = staff.store;
  var token = staff.token, user = staff.user, say = staff.say, errorText = staff.errorText, api = staff.api;
  var tr = staff.t;

  function show(view) {
    ["login", "picker", "console"].forEach(function (v) { $("view-" + v).hidden = v !== view; });
    var signedIn = view !== "login";
    $("sign-out").hidden = !signedIn;
    $("change-desk").hidden = view !== "console";
    setText("user-name", signedIn && user() ? user().username : "");
    if (view !== "console") setText("topbar-desk", "");
  }

  // ---- sign in / out --------------------------------------------------------------------------
  function signedOut(message) {
    staff.forget();
    store.removeItem(KEY_DESK);
    if (state.socket) { state.socket.disconnect(); state.socket = null; }
    state.desk = null; state.number = null;
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
        staff.remember(data);
        $("message").hidden = true;              // an earlier "wrong password" is no longer true
        $("login-password").value = "";
        setText("login-hint", tr("console.login_hint"));
        $("login-hint").setAttribute("data-i18n", "console.login_hint");
        return showPicker();
      })
      .catch(function (err) { say(errorText(err), "error"); })
      .then(function () { button.disabled = false; });
  });

  $("sign-out").addEventListener("click", function () {
    var number = state.number;
    var leave = function () { signedOut(tr("console.signed_out")); };
    if (number === null || !state.desk) return leave();
    if (state.desk.current_ticket && !window.confirm(tr("console.confirm_sign_out", { code: state.desk.current_ticket.code }))) return;
    // Mark the desk closed (it no longer counts in wait estimates); sign out whatever the answer.
    api("POST", "/desks/" + number + "/close").catch(function () {}).then(leave);
  });

  $("change-desk").addEventListener("click", function () {
    store.removeItem(KEY_DESK);
    if (state.socket) { state.socket.disconnect(); state.socket = null; }
    state.desk = null; state.number = null;
    showPicker();
  });

  // ---- pick a desk ----------------------------------------------------------------------------
  function showPicker() {
    return api("GET", "/desks").then(function (data) {
      var remembered = parseInt(store.getItem(KEY_DESK) || "", 10);
      var desks = data.desks || [];
      if (desks.some(function (d) { return d.number === remembered; })) return showConsole(remembered);
      var list = $("desk-list");
      clear(list);
      if (!desks.length) list.appendChild(el("p", "hint", tr("console.no_desks")));
      desks.forEach(function (d) {
        var b = el("button", "desk-choice");
        b.type = "button";
        b.appendChild(el("span", "n", d.number));
        var info = el("span", "info");
        info.appendChild(el("span", "name", d.name));
        info.appendChild(el("span", "meta", d.agency_name + " · " + tr("console.desk_state." + d.state) +
          (d.officer ? " · " + d.officer : "")));
        b.appendChild(info);
        b.addEventListener("click", function () { showConsole(d.number); });
        list.appendChild(b);
      });
      show("picker");
    }).catch(function (err) {
      if (err.status !== 401) say(errorText(err), "error");
    });
  }

  // ---- the console ----------------------------------------------------------------------------
  function showConsole(number) {
    state.number = number;
    store.setItem(KEY_DESK, String(number));
    var catalog = state.catalog ? Promise.resolve(state.catalog) : api("GET", "/catalog").then(function (c) {
      state.catalog = c; return c;
    });
    return Promise.all([api("GET", "/desks/" + number), catalog]).then(function (results) {
      show("console");
      render(results[0].desk);
      connect();
    }).catch(function (err) {
      if (err.status === 401) return;
      if (err.status === 404 || err.status === 403) { store.removeItem(KEY_DESK); say(errorText(err), "error"); return showPicker(); }
      say(errorText(err), "error");
    });
  }

  function serviceName(code) {
    var agencies = (state.catalog && state.catalog.agencies) || [];
    for (var i = 0; i < agencies.length; i++) {
      for (var j = 0; j < agencies[i].services.length; j++) {
        if (agencies[i].services[j].code === code) return agencies[i].services[j].name;
      }
    }
    return code;
  }

  function render(desk) {
    if (!desk || desk.number !== state.number) return;
    state.desk = desk;
    setText("topbar-desk", (desk.name || tr("common.desk_n", { n: desk.number })) + " · " + desk.agency_name);
    var t = desk.current_ticket;
    setText("current-code", t ? t.code : "—");
    setText("current-status", t ? tr("console.status." + t.status) : tr(desk.state === "paused" ? "console.desk_paused" : "console.no_ticket"));
    setText("current-service", t ? serviceName(t.service) : "");
    $("current").className = "card current" + (t ? " is-" + t.status : "");
    var prio = $("current-priority");
    prio.hidden = !(t && t.priority);
    if (t && t.priority) setText(prio, tr("priority.label", { p: tr("priority." + t.priority) }));
    var source = $("current-source"), sourceText = window.HangDoiPage.sourceText(t, true);   // "Đặt lịch 08:00", "Từ xa"
    source.hidden = !sourceText;
    source.className = "source-badge current-source" + (t && t.source ? " " + t.source : "");
    setText(source, sourceText);
    var banner = $("paused-banner");
    banner.hidden = desk.state !== "paused";
    if (desk.state === "paused") setText(banner, pausedText(desk));
    // Buttons: what the server would accept now.
    var status = t ? t.status : null;
    $("btn-recall").disabled = status !== "called";
    $("btn-start").disabled = status !== "called";
    $("btn-finish").disabled = !(status === "called" || status === "serving");
    $("btn-no-show").disabled = status !== "called";
    $("btn-transfer").disabled = !(status === "called" || status === "serving");
    var pause = $("btn-pause");
    pause.dataset.action = desk.state === "paused" ? "resume" : "pause";
    pause.firstChild.setAttribute("data-i18n", desk.state === "paused" ? "console.act.resume" : "console.act.pause");
    pause.firstChild.textContent = tr(pause.firstChild.getAttribute("data-i18n"));
    pause.classList.toggle("warn", desk.state === "paused");
    // Waiting counts and today's counts.
    var list = $("waiting");
    clear(list);
    (desk.services || []).forEach(function (s) {
      var li = el("li", "waiting-row");
      li.dataset.service = s.code;
      li.appendChild(el("span", "name", serviceName(s.code)));
      li.appendChild(el("span", "n", s.waiting));
      list.appendChild(li);
    });
    var me = user();
    setText("count-desk", desk.served_today || 0);
    // Nobody at the desk yet (the idle console): this officer has served no one here today.
    setText("count-officer", me && desk.officer && desk.officer !== me.username ? "—" : (desk.officer_served_today || 0));
    if (window.HangDoiDossiers) window.HangDoiDossiers.render(t, api, say, errorText, tr);   // issue 14
    tick();
    setBusy(state.busy);
  }

  function onQueues(msg) {
    var counts = {};
    ((msg && msg.services) || []).forEach(function (s) { counts[s.code] = s.waiting; });
    if (!state.desk) return;
    state.desk.services.forEach(function (s) { if (counts[s.code] !== undefined) s.waiting = counts[s.code]; });
    var rows = $("waiting").children;
    for (var i = 0; i < rows.length; i++) {
      var code = rows[i].dataset.service;
      if (counts[code] !== undefined) setText(rows[i].lastChild, counts[code]);
    }
  }

  /* "8 phút 45 giây", never "8:45" (that reads as a time of day) */
  function duration(ms) {
    if (!(ms >= 0)) return "—";
    return staff.duration(Math.floor(ms / 1000));
  }
  /* "Tạm dừng 12 phút: Nghỉ giải lao" — how long the desk has been paused, from paused_at. */
  function pausedText(desk) {
    var since = desk.paused_at ? Date.parse(desk.paused_at) : NaN;
    var minutes = since >= 0 ? Math.max(0, Math.floor((Date.now() + state.clockOffset - since) / 60000)) : null;
    var head = minutes === null ? tr("console.paused") : tr("console.paused_for", { min: minutes });
    return head + (desk.pause_reason ? ": " + desk.pause_reason : "");
  }

  function tick() {
    if (state.desk && state.desk.state === "paused") setText("paused-banner", pausedText(state.desk));
    var t = state.desk && state.desk.current_ticket;
    if (!t) { setText("time-waited", "—"); setText("time-served", "—"); return; }
    var now = Date.now() + state.clockOffset;
    var issued = Date.parse(t.issued_at), called = t.called_at ? Date.parse(t.called_at) : now;
    setText("time-waited", duration(called - issued));
    var since = t.started_at ? Date.parse(t.started_at) : called;
    setText("time-served-label", tr(t.started_at ? "console.serving_for" : "console.called_ago"));
    setText("time-served", duration(now - since));
  }
  setInterval(tick, 1000);

  // ---- actions --------------------------------------------------------------------------------
  function setBusy(busy) {
    state.busy = busy;
    $("actions").classList.toggle("busy", busy);
    var buttons = $("actions").querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) buttons[i].setAttribute("aria-busy", busy ? "true" : "false");
  }

  function refresh(number) {
    return api("GET", "/desks/" + number).then(function (d) { render(d.desk); }).catch(function () {});
  }

  /* One action at a time: the buttons and keys do nothing while a POST is in flight, so a double
   * press cannot call two numbers. The desk's new state then comes from the server. */
  function act(action, body) {
    if (state.busy || state.number === null) return;
    var number = state.number;
    var code = state.desk && state.desk.current_ticket ? state.desk.current_ticket.code : "";
    setBusy(true);
    api("POST", "/desks/" + number + "/" + action, body)
      .then(function (data) {
        setBusy(false);
        if (action === "next") {
          say(data.ticket ? tr("console.called", { code: data.ticket.code }) : tr("console.nobody_waiting"), data.ticket ? "ok" : "info");
        } else if (action === "pause") {
          say(tr("console.paused"), "info");
        } else if (action === "resume") {
          say(tr("console.resumed"), "ok");
        } else {
          say(tr(window.HangDoiPage.i18n.has("console.done." + action) ? "console.done." + action : "console.done.other", { code: code }), "ok");
        }
        if (data.desk) render(data.desk);
        return refresh(number);
      }, function (err) {
        setBusy(false);
        if (err.status === 401) return;
        say(errorText(err), "error");
        return refresh(number);
      });
  }

  function press(button) {
    if (!button || button.disabled || state.busy) return;
    var action = button.dataset.action;
    if (action === "transfer") return openTransfer();
    if (action === "pause") return openModal("modal-pause", "pause-reason");
    act(action);
  }

  var buttons = $("actions").querySelectorAll("button[data-action]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function (event) { press(event.currentTarget); });
  }

  // ---- dialogs --------------------------------------------------------------------------------
  function openModal(id, focusId) {
    $(id).hidden = false;
    var f = $(focusId);
    if (f) { f.focus(); if (f.select) f.select(); }
  }
  function closeModals() {
    ["modal-transfer", "modal-pause"].forEach(function (id) { $(id).hidden = true; });
  }
  function modalOpen() { return !$("modal-transfer").hidden || !$("modal-pause").hidden; }
  var closers = document.querySelectorAll("[data-close]");
  for (var c = 0; c < closers.length; c++) closers[c].addEventListener("click", closeModals);

  function openTransfer() {
    var t = state.desk && state.desk.current_ticket;
    if (!t) return;
    setText("transfer-title", tr("console.transfer_title", { code: t.code }));
    var select = $("transfer-service");
    clear(select);
    // Nothing chosen for the officer (a slip of Enter must not send the visitor to the center's
    // first service), and the desk's own agency first: most transfers stay inside it.
    var none = el("option", null, tr("console.choose_service"));
    none.value = "";
    none.disabled = true;
    none.selected = true;
    select.appendChild(none);
    var own = state.desk ? state.desk.agency : null;
    var agencies = ((state.catalog && state.catalog.agencies) || []).slice();
    agencies.sort(function (a, b) { return (b.code === own) - (a.code === own); });
    agencies.forEach(function (agency) {
      var group = document.createElement("optgroup");
      group.label = agency.name;
      agency.services.forEach(function (s) {
        if (s.code === t.service) return;
        var o = el("option", null, tr("console.service_waiting", { name: s.name, n: s.waiting }));
        o.value = s.code;
        group.appendChild(o);
      });
      if (group.children.length) select.appendChild(group);
    });
    openModal("modal-transfer", "transfer-service");
    // Refresh the waiting counts shown in the list.
    api("GET", "/catalog").then(function (c) { state.catalog = c; }).catch(function () {});
  }

  $("transfer-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var service = $("transfer-service").value;
    closeModals();
    if (service) act("transfer", { service: service });
  });
  $("pause-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var reason = $("pause-reason").value.trim();
    if (!reason) { say(staff.error("invalid_reason"), "error"); return; }
    closeModals();
    act("pause", { reason: reason });
  });

  // ---- keyboard shortcuts ---------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && modalOpen()) { closeModals(); return; }
    if ($("view-console").hidden || modalOpen()) return;
    if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA")) return;
    var key = (event.key || "").toLowerCase();
    var button = $("actions").querySelector('button[data-key="' + (/^[a-z]$/.test(key) ? key : "-") + '"]');
    if (button) { event.preventDefault(); press(button); }
  });

  // ---- realtime -------------------------------------------------------------------------------
  function setConn(on) {
    var dot = $("conn");
    dot.className = "conn " + (on ? "on" : "off");
    dot.title = tr(on ? "console.conn_on" : "console.conn_off");
  }

  function connect() {
    if (state.socket) state.socket.disconnect();
    var number = state.number;
    var socket = staff.socket("/desks/" + number, function (s) { return state.socket === s; });
    state.socket = socket;
    setConn(false);
    socket.on("connect", function () {
      setConn(true);
      socket.emit("watch_desk", { desk: number });
      // Catch up on whatever changed while cut off.
      api("GET", "/desks/" + number).then(function (d) { render(d.desk); }).catch(function () {});
    });
    socket.on("disconnect", function () { setConn(false); });
    socket.on("connect_error", function () {
      setConn(false);
      if (!socket.active) {
        // Refused: the token has expired or was revoked. The API says which.
        api("GET", "/desks/" + number).then(function () {
          setTimeout(function () { if (state.socket === socket) socket.connect(); }, 5000);
        }).catch(function () {});
      }
    });
    socket.on("desk", function (msg) { if (msg && msg.desk) render(msg.desk); });
    socket.on("queues", onQueues);
    socket.on("error", function (err) { if (err && err.code) say(errorText(err), "error"); });
  }

  // ---- start ----------------------------------------------------------------------------------
  /* A new language: re-draw what the page drew itself (the rest is data-i18n). */
  function redraw() {
    if (state.desk && !$("view-console").hidden) render(state.desk);
    else if (!$("view-picker").hidden) showPicker();
    if (state.socket) setConn(state.socket.connected);
  }

  staff.languages(redraw).then(function () {
    if (token()) {
      showPicker();
    } else {
      show("login");
    }
  });
})();
