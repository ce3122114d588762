/* Hàng Đợi — the screen above one desk (/display/desk/N?token=...).
 *
 * Shows the desk number and the ticket it serves, large. State: the desk's row of `snapshot`
 * (on every connect), then `call` and `desk` events of this desk. Names are inserted as text.
 */
(function () {
  "use strict";
  var H = window.HangDoi, setText = H.setText;
  var config = H.readConfig();
  var number = config.display && config.display.desk;
  var services = config.services || {};

  var announcer = new Announcer({
    audio: document.getElementById("announcer"),
    enabled: !!(config.display && config.display.audio),
    onBlocked: function () { document.getElementById("sound-overlay").hidden = false; }
  });
  document.getElementById("sound-button").addEventListener("click", function () {
    document.getElementById("sound-overlay").hidden = true;
    announcer.unlock();
  });


  /* desk: {state, pause_reason, current: {code, status} | null, service?} */
  function render(desk) {
    var body = document.getElementById("desk-screen");
    var current = desk.current;
    body.className = "deskscreen state-" + (current ? current.status : desk.state);
    if (current && (current.status === "called" || current.status === "serving")) {
      setText("desk-status", H.t("desk_display." + current.status));
      setText("desk-code", current.code);
      var svc = current.service && services[current.service];
      setText("desk-service", svc ? svc.name : "");
    } else {
      setText("desk-code", "—");
      setText("desk-service", "");
      if (desk.state === "paused") {
        setText("desk-status", desk.pause_reason ? H.t("desk_display.paused_reason", { reason: desk.pause_reason })
                                                 : H.t("desk_display.paused"));
      } else if (desk.state === "open") {
        setText("desk-status", H.t("desk_display.open"));
      } else {
        setText("desk-status", H.t("desk_display.closed"));
      }
    }
    if (desk.name) setText("desk-name", desk.name);
    H.fitText(document.getElementById("desk-code"), 360, 120);
  }

  var last = null;
  function onSnapshot(snap) {
    var row = (snap.desks || []).filter(function (d) { return d.number === number; })[0];
    if (!row) return;
    last = { state: row.state, pause_reason: row.pause_reason, name: row.name,
             current: row.current ? { code: row.current.code, status: row.current.status, service: row.current.service } : null };
    render(last);
  }

  function onDesk(msg) {
    var d = msg && msg.desk;
    if (!d || d.number !== number) return;
    var t = d.current_ticket;
    last = { state: d.state, pause_reason: d.pause_reason, name: d.name,
             current: t ? { code: t.code, status: t.status, service: t.service } : null };
    render(last);
  }

  function onCall(call) {
    if (!call || !call.desk || call.desk.number !== number) return;
    last = { state: "open", pause_reason: null, name: call.desk.name,
             current: { code: call.ticket.code, status: "called", service: call.ticket.service } };
    render(last);
    var body = document.getElementById("desk-screen");
    body.classList.add("flash");
    setTimeout(function () { body.classList.remove("flash"); }, 8000);
    announcer.add(call);
  }

  announcer.probe();          // at once, as before the catalog: the overlay's words are in the HTML
  H.start(function () {
    H.startClock(config, "clock-time", null);
    window.deskSocket = H.connect({ snapshot: onSnapshot, desk: onDesk, call: onCall }, function (on) {
      document.getElementById("offline").hidden = !on;
    });
  });
})();

/* The satisfaction rating (đánh giá mức độ hài lòng): after the desk finishes a ticket the server
 * sends `rating_request`; the screen offers five faces for a short time, sends the visitor's tap
 * with this display's token, thanks them, and returns to the number. */
(function () {
  "use strict";
  var H = window.HangDoi;
  var overlay = document.getElementById("rating");
  if (!overlay) return;                              // window.deskSocket opens later, in H.start
  var timer = null, ticketId = null, countdown = null, closesAt = 0;
  // issue 14: 5 or 3 levels and a reason at low scores ([ratings]; counter_display/static/rating.js)
  var R = window.HangDoiRating, scale = null, cancelReason = null;
  var reasons = document.createElement("div");
  reasons.className = "rating-reasons";
  reasons.id = "rating-reasons";
  reasons.hidden = true;
  overlay.appendChild(reasons);
  if (R) H.i18n.ready.then(R.settings).then(function (s) {
    scale = s;
    var shown = {};
    R.faces(s.levels).forEach(function (f) { shown[f.face] = f; });
    Array.prototype.forEach.call(overlay.querySelectorAll("button.face"), function (b) {
      var face = Number((/face-(\d)/.exec(b.className) || [])[1]), f = shown[face];
      b.hidden = !f;
      if (!f) return;
      b.setAttribute("data-score", String(f.score));
      // the label's catalog key (a 3-level "Hài lòng" is rating.4): the language switch keeps it
      Array.prototype.forEach.call(b.querySelectorAll("[data-i18n]"), function (n) { n.setAttribute("data-i18n", f.key); });
      Array.prototype.forEach.call(b.querySelectorAll("[data-i18n-alt]"), function (n) { n.setAttribute("data-i18n-alt", f.key); });
      H.i18n.apply(b);
    });
  });

  function close() {
    overlay.hidden = true;
    overlay.classList.remove("asking");
    ticketId = null;
    if (cancelReason) { cancelReason(); cancelReason = null; }
    if (timer) { clearTimeout(timer); timer = null; }
    if (countdown) { clearInterval(countdown); countdown = null; }
  }

  /* "Tự đóng sau 25 giây": the seconds left before the screen goes back to the number. */
  function closeIn(ms) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(close, ms);
    closesAt = Date.now() + ms;
    var show = function () {
      var left = Math.max(0, Math.ceil((closesAt - Date.now()) / 1000));
      H.setText("rating-left", String(left));
    };
    show();
    if (!countdown) countdown = setInterval(show, 250);
  }

  function show(msg) {
    if (!msg || !msg.ticket || typeof msg.ticket.id !== "number") return;
    ticketId = msg.ticket.id;
    H.setText("rating-code", msg.ticket.code || "");
    H.setText("rating-thanks", "");
    overlay.classList.remove("sent");
    Array.prototype.forEach.call(overlay.querySelectorAll(".face"), function (b) { b.classList.remove("chosen"); });
    overlay.hidden = false;
    closeIn(1000 * (msg.timeout_s || 30));
  }

  function send(score) {
    if (ticketId === null) return;
    var id = ticketId;
    ticketId = null;                                 // one rating per ticket, however many taps
    Array.prototype.forEach.call(overlay.querySelectorAll(".face"), function (b) {
      b.classList.toggle("chosen", b.getAttribute("data-score") === String(score));   // the face given stays lit
    });
    if (R && scale && R.asksReason(score, scale)) {   // ask why; sent with or without it (30 s)
      if (timer) { clearTimeout(timer); timer = null; }
      if (countdown) { clearInterval(countdown); countdown = null; }   // the reasons have their own 30 s
      overlay.classList.add("asking");
      cancelReason = R.askReason(reasons, scale, function (reason) {
        cancelReason = null;
        overlay.classList.remove("asking");
        post(id, score, reason);
      });
      return;
    }
    post(id, score, null);
  }

  function post(id, score, reason) {
    var body = { score: score };
    if (reason) body.reason = reason;
    fetch("/api/v1/tickets/" + id + "/rating", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Authorization": "Bearer " + H.token() },
      body: JSON.stringify(body)
    }).then(function (r) {
      overlay.classList.add("sent");
      H.setText("rating-thanks", H.t(r.ok || r.status === 409 ? "rating.thanks" : "rating.failed"));
    }).catch(function () {
      H.setText("rating-thanks", H.t("rating.failed"));
    }).then(function () {
      closeIn(3000);
    });
  }

  // after the page's start (H.start above), which opened window.deskSocket
  H.i18n.ready.then(function () {
    if (!overlay || !window.deskSocket) return;
    Array.prototype.forEach.call(overlay.querySelectorAll("button[data-score]"), function (button) {
      button.addEventListener("click", function () { send(Number(button.getAttribute("data-score"))); });
    });
    window.deskSocket.on("rating_request", show);
    window.deskSocket.on("call", close);               // the next visitor is called: back to the number
  });
})();
