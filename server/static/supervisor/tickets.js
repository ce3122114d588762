/* The supervisor's tickets and their actions: call to a desk, move, cancel, take back a no-show. */
(function () {
  "use strict";
  var SV = window.HangDoiSupervisor;
  var state = SV.state, $ = SV.$, el = SV.el, clear = SV.clear, setText = SV.setText, tr = SV.tr, now = SV.now, duration = SV.duration, api = SV.api, say = SV.say, errorText = SV.errorText, statusText = SV.statusText;

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

  SV.fillAgencySelects = fillAgencySelects;
  SV.loadTickets = loadTickets;
  SV.renderActionBox = renderActionBox;
})();
