/* The supervisor's Live tab: queues, desks, devices and alerts, ticking every second (see page.js). */
(function () {
  "use strict";
  var SV = window.HangDoiSupervisor;
  var state = SV.state, $ = SV.$, el = SV.el, clear = SV.clear, setText = SV.setText, tr = SV.tr, now = SV.now, duration = SV.duration, minutes = SV.minutes, clockText = SV.clockText;

  // ---- live tab -------------------------------------------------------------------------------
  function renderLive() {
    renderQueues();
    renderDesks();
    renderDevices();
    renderAlerts();
    SV.renderActionBox();
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

  setInterval(tick, 1000);

  SV.renderLive = renderLive;
  SV.renderQueues = renderQueues;
  SV.renderAlerts = renderAlerts;
})();
