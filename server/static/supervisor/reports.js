/* The supervisor's Reports tab: the summary's figures, tables and charts, CSV and Excel downloads. */
(function () {
  "use strict";
  var SV = window.HangDoiSupervisor;
  var state = SV.state, $ = SV.$, el = SV.el, clear = SV.clear, setText = SV.setText, tr = SV.tr, now = SV.now, duration = SV.duration, staff = SV.staff, api = SV.api, request = SV.request, say = SV.say, errorText = SV.errorText, number = SV.number, localDate = SV.localDate;

  var S_COLUMNS = ["issued", "served", "no_show", "cancelled", "avg_wait_s", "p90_wait_s", "avg_service_s",
    "p90_service_s", "within_target_pct", "rating_avg", "ratings"];

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

  SV.loadReport = loadReport;
  SV.renderReport = renderReport;
})();
