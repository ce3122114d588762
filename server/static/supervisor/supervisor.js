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

  var ERRORS = {
    forbidden: "Tài khoản này không có quyền thực hiện thao tác này.",
    not_supervisor: "Trang này dành cho giám sát và quản trị viên. Cán bộ quầy dùng trang /desk.",
    desk_closed: "Quầy này chưa có cán bộ đăng nhập.",
    desk_paused: "Quầy này đang tạm dừng.",
    desk_busy: "Quầy này đang có số khác; cán bộ cần hoàn thành số đó trước.",
    service_not_at_desk: "Quầy này không làm dịch vụ của số này. Hãy chuyển số sang dịch vụ của quầy trước.",
    invalid_state: "Trạng thái hiện tại của số không cho phép thao tác này.",
    not_today: "Số này không thuộc ngày hôm nay.",
    same_service: "Số này đang chờ đúng dịch vụ đó rồi.",
    unknown_service: "Dịch vụ không tồn tại hoặc đã ngừng.",
    unknown_ticket: "Không tìm thấy số này.",
    unknown_desk: "Không tìm thấy quầy này.",
    missing_date: "Xin chọn đủ ngày bắt đầu và ngày kết thúc.",
    invalid_date: "Ngày không hợp lệ.",
    invalid_range: "Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.",
    range_too_long: "Mỗi báo cáo tối đa 366 ngày.",
    unknown_agency: "Không có cơ quan này.",
    user_exists: "Tên đăng nhập này đã có.",
    unknown_user: "Không tìm thấy người dùng này."
  };
  var STATUS_TEXT = { waiting: "Đang chờ", called: "Đã gọi", serving: "Đang phục vụ", done: "Đã xong",
    no_show: "Vắng mặt", cancelled: "Đã hủy" };
  var ROLE_TEXT = { officer: "Cán bộ", supervisor: "Giám sát", admin: "Quản trị" };
  var PRINTER_TEXT = { online: "Sẵn sàng", paper_low: "Sắp hết giấy", paper_out: "Hết giấy", offline: "Mất kết nối",
    unknown: "Chưa rõ" };
  var PRIORITY_TEXT = { elderly: "người cao tuổi", disabled: "người khuyết tật", pregnant: "phụ nữ mang thai",
    child: "trẻ em", veteran: "người có công" };
  var S_COLUMNS = [
    ["issued", "Cấp số"], ["served", "Đã phục vụ"], ["no_show", "Vắng mặt"], ["cancelled", "Đã hủy"],
    ["avg_wait_s", "Chờ TB"], ["p90_wait_s", "Chờ P90"], ["avg_service_s", "Phục vụ TB"],
    ["p90_service_s", "Phục vụ P90"], ["within_target_pct", "Đúng hạn"], ["rating_avg", "Hài lòng TB"],
    ["ratings", "Lượt đánh giá"]
  ];

  var state = {
    catalog: null, overview: null, overviewAt: 0, socket: null, clockOffset: 0, view: "live",
    selected: null, tickets: [], refreshTimer: null, pollTimer: null, charts: {}, report: null, timeZone: undefined
  };

  // ---- shared with the desk console (static/staff.js) ----------------------------------------
  var staff = window.HangDoiStaff({
    tokenKey: KEY_TOKEN, userKey: KEY_USER, errors: ERRORS,
    onUnauthorized: function (message) { signedOut(message); }
  });
  var $ = staff.$, setText = staff.setText, el = staff.el, clear = staff.clear;
  var token = staff.token, user = staff.user, say = staff.say, errorText = staff.errorText;
  var request = staff.request, api = staff.api, ApiError = staff.ApiError;
  ERRORS = staff.errors;

  function now() { return (Date.now() + state.clockOffset) / 1000; }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "—";
    seconds = Math.max(0, Math.round(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (h) return h + " giờ " + (m < 10 ? "0" : "") + m + " phút";
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  function minutes(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 60) return seconds > 0 ? "< 1 phút" : "0 phút";
    return Math.round(seconds / 60) + " phút";
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
    setText("user-name", signedIn && user() ? user().username + " (" + (ROLE_TEXT[user().role] || user().role) + ")" : "");
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
    if (message) setText("login-hint", message);
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
  $("sign-out").addEventListener("click", function () { signedOut("Đã đăng xuất."); });

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
    c.textContent = ok ? "Trực tuyến" : "Mất kết nối";
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
      if (err && /invalid_token/.test(String(err.message))) signedOut(ERRORS.invalid_token);
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
      name.appendChild(el("span", "muted", " · " + agency.code + " · đã cấp " + agency.issued_today + " số hôm nay"));
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
        row.appendChild(el("td", "num muted", s.target_wait_min + " phút"));
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
      if (d.state === "closed") { kind = "closed"; label = "Đóng"; }
      else if (d.state === "paused") {
        kind = "paused"; detail = d.pause_reason || ""; since = d.paused_at_ts;
        label = "Tạm dừng" + (since ? " " + Math.max(0, Math.floor((now() - since) / 60)) + " phút" : "");
      }
      else if (t && t.status === "serving") { kind = "serving"; label = "Đang phục vụ"; detail = t.code; since = ticketTime(t.started_at); }
      else if (t) { kind = "called"; label = "Đã gọi"; detail = t.code; since = ticketTime(t.called_at); }
      else { kind = "idle"; label = "Rảnh"; }
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
      if (since) meta.appendChild(el("span", "desk-timer", duration(now() - since)));
      if (!meta.firstChild) meta.textContent = "\u00a0";
      card.appendChild(meta);
      card.appendChild(el("div", "desk-officer", d.officer ? "CB: " + d.officer : kind === "closed" ? "chưa có cán bộ" : "\u00a0"));
      card.title = d.name + " — " + d.agency_name + (d.officer ? " — " + d.officer : "") +
        " — đã phục vụ hôm nay: " + d.served_today;
      box.appendChild(card);
    });
  }

  function renderDevices() {
    var devices = state.overview.devices, body = $("devices");
    clear(body);
    devices.kiosks.forEach(function (k) {
      var row = el("tr");
      row.appendChild(el("td", null, "Ki-ốt: " + k.name));
      row.appendChild(connCell(k.connected));
      var p = k.printer;
      var cell = el("td", p ? "printer " + p.state : "muted", p ? (PRINTER_TEXT[p.state] || p.state) +
        (p.detail ? " — " + p.detail : "") : "chưa có dữ liệu");
      if (p && p.updated_at) cell.title = "Cập nhật lúc " + clockText(p.updated_at);
      row.appendChild(cell);
      body.appendChild(row);
    });
    devices.other_states.forEach(function (o) {
      var row = el("tr");
      row.appendChild(el("td", null, "Thiết bị: " + o.id));
      row.appendChild(el("td", "muted", "—"));
      row.appendChild(el("td", "printer " + o.state, (PRINTER_TEXT[o.state] || o.state) + (o.detail ? " — " + o.detail : "")));
      body.appendChild(row);
    });
    devices.displays.forEach(function (d) {
      var row = el("tr");
      row.appendChild(el("td", null, (d.kind === "hall" ? "Màn hình sảnh: " : "Màn hình quầy " + d.desk + ": ") + d.name));
      row.appendChild(connCell(d.connected));
      row.appendChild(el("td", "muted", "—"));
      body.appendChild(row);
    });
    $("printer-empty").hidden = devices.has_printer_data;
  }
  function connCell(on) { return el("td", on ? "on" : "off", on ? "● Đang kết nối" : "○ Không kết nối"); }

  // the same rules as server/reports/live.py, evaluated every second
  function currentAlerts() {
    var o = state.overview, t = now(), out = [];
    o.agencies.forEach(function (agency) {
      agency.services.forEach(function (s) {
        if (!s.oldest_queued_at) return;
        var since = s.oldest_queued_at + s.target_wait_min * 60;
        if (t > since) {
          out.push({ kind: "late", level: "error", since: since,
            text: s.name + " (" + agency.name + "): có người chờ quá " + s.target_wait_min + " phút — " +
              s.waiting + " người đang chờ, lâu nhất " + duration(t - s.oldest_queued_at) });
        }
      });
    });
    o.desks.forEach(function (d) {
      if (d.state !== "paused" || !d.paused_at_ts) return;
      var since = d.paused_at_ts + o.thresholds.pause_alert_min * 60;
      if (t > since) {
        out.push({ kind: "paused", level: "warning", since: since,
          text: d.name + " tạm dừng quá " + o.thresholds.pause_alert_min + " phút (" + duration(t - d.paused_at_ts) +
            "): " + (d.pause_reason || "") });
      }
    });
    o.alerts.forEach(function (a) {
      if (a.kind === "printer") out.push({ kind: "printer", level: a.level, since: a.since_ts, text: a.message });
    });
    out.sort(function (a, b) { return a.since - b.since; });
    return out;
  }

  var ALERT_LABEL = { late: "Chờ quá lâu", paused: "Tạm dừng lâu", printer: "Máy in" };

  function renderAlerts() {
    var alerts = currentAlerts(), list = $("alerts");
    clear(list);
    alerts.forEach(function (a) {
      var li = el("li", "alert " + a.level + " " + a.kind);
      li.appendChild(el("time", "alert-time", clockText(a.since)));
      li.appendChild(el("span", "alert-kind", ALERT_LABEL[a.kind] || a.kind));
      li.appendChild(el("span", "alert-text", a.text));
      list.appendChild(li);
    });
    $("alerts-empty").hidden = alerts.length > 0;
    var errors = alerts.filter(function (a) { return a.level === "error"; }).length;
    var bar = $("status-bar");
    bar.className = "status-bar " + (errors ? "error" : alerts.length ? "warning" : "ok");
    setText("status-count", alerts.length);
    setText("status-text", alerts.length ? "cảnh báo cần xử lý" : "Không có cảnh báo — mọi hàng chờ trong thời gian mục tiêu");
    var waiting = 0, open = 0, serving = 0;
    state.overview.agencies.forEach(function (a) { a.services.forEach(function (s) { waiting += s.waiting; }); });
    state.overview.desks.forEach(function (d) {
      if (d.state !== "closed") open += 1;
      if (d.current_ticket) serving += 1;
    });
    setText("status-summary", waiting + " người đang chờ · " + open + "/" + state.overview.desks.length +
      " quầy làm việc · " + serving + " quầy đang có số");
  }

  // ---- tickets and actions --------------------------------------------------------------------
  function fillAgencySelects() {
    ["ticket-agency", "report-agency", "new-agency"].forEach(function (id) {
      var select = $(id), first = select.options[0];
      clear(select);
      select.appendChild(first);
      state.catalog.agencies.forEach(function (a) {
        var option = el("option", null, a.name + " (" + a.code + ")");
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
      if (t.priority) code.appendChild(el("span", "prio", " ưu tiên"));
      row.appendChild(code);
      row.appendChild(el("td", null, t.service_name));
      row.appendChild(el("td", null, STATUS_TEXT[t.status] || t.status));
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
    setText("action-info", "— " + t.service_name + " — " + (STATUS_TEXT[t.status] || t.status) +
      (t.priority ? " — ưu tiên " + (PRIORITY_TEXT[t.priority] || "") : ""));
    var desks = $("action-desk"), keep = desks.value;
    clear(desks);
    state.overview.desks.forEach(function (d) {
      var offers = d.services.some(function (s) { return s.code === t.service; });
      if (!offers) return;
      var free = d.state === "open" && !d.current_ticket;
      var option = el("option", null, d.name + (free ? " — rảnh" : d.state === "closed" ? " — đóng" :
        d.state === "paused" ? " — tạm dừng" : " — đang bận"));
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
      why = "Không có quầy nào làm dịch vụ này. / No desk serves this service.";
    } else if (waiting && (!chosen || chosen.disabled)) {
      var states = state.overview.desks.filter(function (d) {
        return d.services.some(function (s) { return s.code === t.service; });
      }).map(function (d) { return d.state; });
      why = states.every(function (st) { return st === "closed"; })
        ? "Các quầy làm dịch vụ này đều đang đóng (chưa có cán bộ đăng nhập). / Every desk for this service is closed: no officer has signed in."
        : "Không có quầy nào đang rảnh: các quầy đang đóng, tạm dừng hoặc đang phục vụ. / No desk is free: they are closed, paused or busy.";
    } else if (!waiting) {
      why = "Chỉ gọi được số đang chờ. / Only a waiting ticket can be called.";
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
      say(done + " " + data.ticket.code + ".", "ok");
      refresh();
    }).catch(function (err) { say(errorText(err), "error"); });
  }
  $("action-call").addEventListener("click", function () {
    var desk = parseInt($("action-desk").value, 10);
    if (!desk) { say("Xin chọn một quầy đang rảnh.", "error"); return; }
    act("call", { desk: desk }, "Đã gọi số");
  });
  $("action-move").addEventListener("click", function () {
    act("move", { service: $("action-service").value }, "Đã chuyển dịch vụ cho số");
  });
  $("action-cancel").addEventListener("click", function () {
    var reason = $("action-reason").value.trim();
    act("cancel", reason ? { reason: reason } : {}, "Đã hủy số");
    $("action-reason").value = "";
  });
  $("action-reactivate").addEventListener("click", function () { act("reactivate", {}, "Đã kích hoạt lại số"); });

  // ---- reports --------------------------------------------------------------------------------
  function reportQuery() {
    var q = "from=" + encodeURIComponent($("report-from").value) + "&to=" + encodeURIComponent($("report-to").value);
    if ($("report-agency").value) q += "&agency=" + encodeURIComponent($("report-agency").value);
    return q;
  }

  $("report-form").addEventListener("submit", function (event) { event.preventDefault(); loadReport(); });

  function loadReport() {
    if (!$("report-from").value) {
      var today = localDate(now());
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
    [["issued", "Số đã cấp"], ["served", "Đã phục vụ"], ["no_show", "Vắng mặt"], ["cancelled", "Đã hủy"],
     ["avg_wait_s", "Chờ trung bình"], ["p90_wait_s", "Chờ P90"], ["avg_service_s", "Phục vụ trung bình"],
     ["p90_service_s", "Phục vụ P90"], ["within_target_pct", "Gọi đúng hạn"], ["rating_avg", "Mức hài lòng"]
    ].forEach(function (k) {
      var card = el("div", "kpi");
      card.appendChild(el("div", "kpi-value", figure(k[0], t[k[0]])));
      card.appendChild(el("div", "kpi-label", k[1] + (k[0] === "rating_avg" ? " (" + number(t.ratings) + " lượt)" : "")));
      kpis.appendChild(card);
    });
    figuresTable("table-agencies", [["name", "Cơ quan"]], r.by_agency, t);
    figuresTable("table-desks", [["name", "Quầy"], ["agency", "Cơ quan"]], r.by_desk, null);
    figuresTable("table-officers", [["username", "Cán bộ"]], r.by_officer, null);
    figuresTable("table-hours", [["hour", "Giờ"]], r.by_hour.map(function (h) {
      var copy = {}; for (var k in h) copy[k] = h[k];
      copy.hour = (h.hour < 10 ? "0" : "") + h.hour + ":00–" + (h.hour < 9 ? "0" : "") + (h.hour + 1) + ":00";
      return copy;
    }), t);
    drawCharts(r);
  }

  function figuresTable(id, keys, rows, totals) {
    var table = $(id);
    clear(table);
    var head = el("thead"), tr = el("tr");
    keys.concat(S_COLUMNS).forEach(function (c, i) { tr.appendChild(el("th", i >= keys.length ? "num" : null, c[1])); });
    head.appendChild(tr);
    table.appendChild(head);
    var body = el("tbody");
    rows.forEach(function (row) {
      var line = el("tr", row.issued ? null : "quiet");
      keys.forEach(function (c) { line.appendChild(el("td", null, row[c[0]])); });
      S_COLUMNS.forEach(function (c) { line.appendChild(el("td", "num", figure(c[0], row[c[0]]))); });
      body.appendChild(line);
    });
    if (!rows.length) {
      var empty = el("tr");
      var cell = el("td", "muted", "Không có số nào trong khoảng thời gian này.");
      cell.colSpan = keys.length + S_COLUMNS.length;
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    table.appendChild(body);
    if (totals) {
      var foot = el("tfoot"), sum = el("tr");
      keys.forEach(function (c, i) { sum.appendChild(el("th", null, i === 0 ? "Tổng" : "")); });
      S_COLUMNS.forEach(function (c) { sum.appendChild(el("td", "num", figure(c[0], totals[c[0]]))); });
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
          { type: "bar", label: "Lượt lấy số", data: hours.map(function (h) { return h.issued; }),
            backgroundColor: "#2f6fb3", yAxisID: "y", order: 2 },
          { type: "line", label: "Chờ trung bình (phút)", yAxisID: "y1", order: 1, borderColor: "#d9822b",
            backgroundColor: "#d9822b", tension: 0, spanGaps: false,
            data: hours.map(function (h) { return h.avg_wait_s === null ? null : Math.round(h.avg_wait_s / 6) / 10; }) }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { beginAtZero: true, title: { display: true, text: "Lượt lấy số" }, ticks: { precision: 0 } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
            title: { display: true, text: "Phút chờ" } }
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
          { label: "Đã cấp số", data: agencies.map(function (a) { return a.issued; }), backgroundColor: "#2f6fb3" },
          { label: "Đã phục vụ", data: agencies.map(function (a) { return a.served; }), backgroundColor: "#3a9d5d" },
          { label: "Vắng mặt / hủy", data: agencies.map(function (a) { return a.no_show + a.cancelled; }),
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
        say("Đã tải " + a.download, "ok");
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
      row.appendChild(el("td", null, ROLE_TEXT[u.role] || u.role));
      var agencyCell = el("td"), agency = document.createElement("select");
      agency.appendChild(el("option", null, "(không)"));
      agency.options[0].value = "";
      state.catalog.agencies.forEach(function (a) {
        var o = el("option", null, a.code);
        o.value = a.code;
        o.title = a.name;
        agency.appendChild(o);
      });
      agency.value = u.agency || "";
      agency.setAttribute("aria-label", "Cơ quan của " + u.username);
      agency.addEventListener("change", function () {
        userAction("agency", { username: u.username, agency: agency.value || null }, "Đã đổi cơ quan của ");
      });
      agencyCell.appendChild(agency);
      row.appendChild(agencyCell);
      row.appendChild(el("td", u.active ? "on" : "off", u.active ? "Đang hoạt động" : "Đã vô hiệu hóa"));
      var actions = el("td", "user-actions");
      var toggle = el("button", u.active ? "danger" : null, u.active ? "Vô hiệu hóa" : "Kích hoạt");
      toggle.type = "button";
      toggle.addEventListener("click", function () {
        userAction(u.active ? "disable" : "enable", { username: u.username },
          u.active ? "Đã vô hiệu hóa " : "Đã kích hoạt ");
      });
      var password = el("input");
      password.type = "password";
      password.placeholder = "mật khẩu mới";
      password.autocomplete = "new-password";
      password.setAttribute("aria-label", "Mật khẩu mới cho " + u.username);
      var reset = el("button", null, "Đặt lại mật khẩu");
      reset.type = "button";
      reset.addEventListener("click", function () {
        userAction("password", { username: u.username, password: password.value }, "Đã đặt lại mật khẩu cho ");
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
      say(done + data.user.username + ".", "ok");
      loadUsers();
    }).catch(function (err) { say(errorText(err), "error"); loadUsers(); });
  }

  $("user-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = { username: $("new-username").value.trim(), password: $("new-password").value,
      role: $("new-role").value, agency: $("new-agency").value || null };
    api("POST", "/admin/users", body).then(function (data) {
      say("Đã thêm người dùng " + data.user.username + ".", "ok");
      $("new-username").value = "";
      $("new-password").value = "";
      loadUsers();
    }).catch(function (err) { say(errorText(err), "error"); });
  });

  // ---- start ----------------------------------------------------------------------------------
  setInterval(tick, 1000);
  if (token() && user()) start(); else show("login");
})();
