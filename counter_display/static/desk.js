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

  var STATUS_TEXT = {
    called: "Mời công dân có số",
    serving: "Đang phục vụ số"
  };

  /* desk: {state, pause_reason, current: {code, status} | null, service?} */
  function render(desk) {
    var body = document.getElementById("desk-screen");
    var current = desk.current;
    body.className = "deskscreen state-" + (current ? current.status : desk.state);
    if (current && (current.status === "called" || current.status === "serving")) {
      setText("desk-status", STATUS_TEXT[current.status]);
      setText("desk-code", current.code);
      var svc = current.service && services[current.service];
      setText("desk-service", svc ? svc.name : "");
    } else {
      setText("desk-code", "—");
      setText("desk-service", "");
      if (desk.state === "paused") {
        setText("desk-status", "Tạm dừng" + (desk.pause_reason ? ": " + desk.pause_reason : ""));
      } else if (desk.state === "open") {
        setText("desk-status", "Sẵn sàng phục vụ");
      } else {
        setText("desk-status", "Quầy chưa làm việc");
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

  H.startClock(config, "clock-time", null);
  announcer.probe();
  window.deskSocket = H.connect({ snapshot: onSnapshot, desk: onDesk, call: onCall }, function (on) {
    document.getElementById("offline").hidden = !on;
  });
})();

/* The satisfaction rating (đánh giá mức độ hài lòng): after the desk finishes a ticket the server
 * sends `rating_request`; the screen offers five faces for a short time, sends the visitor's tap
 * with this display's token, thanks them, and returns to the number. */
(function () {
  "use strict";
  var H = window.HangDoi;
  var overlay = document.getElementById("rating");
  if (!overlay || !window.deskSocket) return;
  var timer = null, ticketId = null;
  // issue 14: 5 or 3 levels and a reason at low scores ([ratings]; counter_display/static/rating.js)
  var R = window.HangDoiRating, scale = null, cancelReason = null;
  var reasons = document.createElement("div");
  reasons.className = "rating-reasons";
  reasons.id = "rating-reasons";
  reasons.hidden = true;
  overlay.appendChild(reasons);
  if (R) R.settings().then(function (s) {
    scale = s;
    var shown = {};
    R.faces(s.levels).forEach(function (f) { shown[f.face] = f; });
    Array.prototype.forEach.call(overlay.querySelectorAll("button.face"), function (b) {
      var face = Number((/face-(\d)/.exec(b.className) || [])[1]), f = shown[face];
      b.hidden = !f;
      if (!f) return;
      b.setAttribute("data-score", String(f.score));
      H.setText(b.querySelector(".face-label"), f.vi);
      if (b.querySelector(".en")) b.querySelector(".en").textContent = f.en;
    });
  });

  function close() {
    overlay.hidden = true;
    overlay.classList.remove("asking");
    ticketId = null;
    if (cancelReason) { cancelReason(); cancelReason = null; }
    if (timer) { clearTimeout(timer); timer = null; }
  }

  function show(msg) {
    if (!msg || !msg.ticket || typeof msg.ticket.id !== "number") return;
    ticketId = msg.ticket.id;
    H.setText("rating-code", msg.ticket.code || "");
    H.setText("rating-thanks", "");
    overlay.classList.remove("sent");
    overlay.hidden = false;
    if (timer) clearTimeout(timer);
    timer = setTimeout(close, 1000 * (msg.timeout_s || 30));
  }

  function send(score) {
    if (ticketId === null) return;
    var id = ticketId;
    ticketId = null;                                 // one rating per ticket, however many taps
    if (R && scale && R.asksReason(score, scale)) {   // ask why; sent with or without it (30 s)
      if (timer) { clearTimeout(timer); timer = null; }
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
      H.setText("rating-thanks", r.ok || r.status === 409 ? "Cảm ơn quý khách đã đánh giá!"
                                                         : "Chưa gửi được đánh giá. Xin cảm ơn quý khách!");
    }).catch(function () {
      H.setText("rating-thanks", "Chưa gửi được đánh giá. Xin cảm ơn quý khách!");
    }).then(function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(close, 3000);
    });
  }

  Array.prototype.forEach.call(overlay.querySelectorAll("button[data-score]"), function (button) {
    button.addEventListener("click", function () { send(Number(button.getAttribute("data-score"))); });
  });
  window.deskSocket.on("rating_request", show);
  window.deskSocket.on("call", close);               // the next visitor is called: back to the number
})();
