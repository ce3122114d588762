/* Hàng Đợi — dossier codes at the desk console (issue 14): the officer types the code of each
 * dossier received for the current ticket, or scans it from the receipt (a scanner types the
 * code and Enter), and sees the list. POST /api/v1/tickets/{id}/dossiers; the server checks the
 * format ([lookup] dossier_pattern, by default the national 000.00.00.H00-YYMMDD-NNNN).
 * desk.js calls HangDoiDossiers.render(ticket, api, say, errorText, tr) on every render (tr: the
 * console's words from the catalog, dossier.*). */
(function () {
  "use strict";

  var EXAMPLE = "000.00.27.H42-261204-0012";

  var form = document.getElementById("dossier-form");
  if (!form) return;
  var input = document.getElementById("dossier-code");
  var list = document.getElementById("dossier-list");
  var ticket = null, api = null, say = function () {}, errorText = function (e) { return String(e && e.message || e); };
  var P = window.HangDoiPage;
  var tr = function (key, vars) { return P ? P.t(key, vars) : key; };
  if (P) P.i18n.onChange(function () { if (ticket) draw(ticket.dossiers || []); });   // the console's language switch
  var busy = false;

  function draw(codes) {
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!codes.length) {
      var li = document.createElement("li");
      li.className = "dossier-none";
      li.textContent = tr("dossier.none");
      list.appendChild(li);
    }
    codes.forEach(function (code) {
      var item = document.createElement("li");
      item.textContent = code;
      list.appendChild(item);
    });
  }

  function render(t, apiFn, sayFn, errorFn, trFn) {
    api = apiFn || api;
    if (sayFn) say = sayFn;
    if (errorFn) errorText = errorFn;
    if (trFn) tr = trFn;
    var open = !!(t && (t.status === "called" || t.status === "serving"));
    form.hidden = !open;
    if (!open) { ticket = null; return; }
    if (!ticket || ticket.id !== t.id) input.value = "";
    ticket = t;
    draw(t.dossiers || []);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = input.value.trim();
    if (!code || !ticket || !api || busy) return;
    var found = /\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}/i.exec(code);   // a scanned QR may hold a whole link
    if (found) code = found[0];
    busy = true;
    var id = ticket.id;
    api("POST", "/tickets/" + id + "/dossiers", { code: code }).then(function (data) {
      if (ticket && ticket.id === id) { ticket.dossiers = data.dossiers; draw(data.dossiers); }
      input.value = "";
      say(tr("dossier.added", { code: data.code }), "ok");
    }, function (err) {
      var c = err && err.code;
      say(c === "invalid_dossier_code" ? tr("dossier.bad", { example: EXAMPLE })
          : c === "duplicate_dossier" ? tr("dossier.duplicate") : errorText(err), "error");
    }).then(function () { busy = false; input.focus(); });
  });

  window.HangDoiDossiers = { render: render };
})();
