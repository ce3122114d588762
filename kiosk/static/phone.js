/* Hàng Đợi — the visitor's phone page: follows one ticket live over Socket.IO (`follow`), falls
 * back to asking every 15 s when the socket is down, vibrates and rings when the ticket is called.
 * Plain ES2017, no framework; every name is inserted as text. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("page-config").textContent);
  var ticket = cfg.ticket;
  var secret = cfg.secret;
  var audio = null;            // an AudioContext, once the visitor allowed sound with a tap
  var alerted = {};            // called_at + desk → already rung
  var connected = false;
  var pollTimer = null;
  var RATING = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"];

  function $(id) { return document.getElementById(id); }
  function setText(id, text) { var n = $(id); if (n.textContent !== String(text)) n.textContent = String(text); }

  function waitText(seconds) {
    var m = Math.round(Math.max(0, seconds || 0) / 60);
    if (m < 1) return "dưới 1 phút";
    if (m < 60) return "khoảng " + m + " phút";
    var h = Math.floor(m / 60); m = m % 60;
    return "khoảng " + h + " giờ" + (m ? " " + m + " phút" : "");
  }

  function texts(t) {
    var d = t.desk;
    switch (t.status) {
      case "waiting": return ["Đang chờ đến lượt", "Khi đến lượt, trang này sẽ báo bạn đến quầy nào."];
      case "called": return ["Mời đến quầy số " + d, "Xin mời bạn đến ngay quầy số " + d + "."];
      case "serving": return ["Đang được phục vụ tại quầy số " + d, "Cán bộ đang giải quyết hồ sơ của bạn."];
      case "done": return ["Đã hoàn thành", "Cảm ơn bạn đã đến Trung tâm."];
      case "no_show": return ["Bạn đã lỡ lượt", "Số của bạn đã được gọi nhưng bạn chưa đến quầy. Xin liên hệ quầy hướng dẫn để được hỗ trợ."];
      case "cancelled": return ["Phiếu đã bị hủy", "Xin liên hệ quầy hướng dẫn nếu bạn vẫn cần được phục vụ."];
      default: return [t.status, ""];
    }
  }

  var deskNames = {};          // desk number → its name, learnt from call events

  function render(t, deskName) {
    var previous = ticket;
    if (deskName && t.desk) deskNames[t.desk] = deskName;
    deskName = deskNames[t.desk];
    ticket = t;
    document.body.className = "phone status-" + t.status;
    setText("code", t.code);
    setText("service", t.service_name || t.service);
    setText("agency", t.agency_name || "");
    var words = texts(t);
    setText("state-title", words[0]);
    setText("state-text", deskName && t.status === "called" ? words[1] + " (" + deskName + ")" : words[1]);
    $("facts").hidden = t.status !== "waiting";
    setText("ahead", t.waiting_ahead);
    setText("wait", waitText(t.estimated_wait_s));
    document.title = (t.status === "called" ? "Mời đến quầy " + t.desk + " — " : "Số ") + t.code;
    $("alert-btn").hidden = audio !== null || t.status !== "waiting";
    $("alert-on").hidden = audio === null || t.status !== "waiting";
    $("rating").hidden = t.status !== "done";
    if (window.HangDoiLookup) window.HangDoiLookup.phone(t);   // issue 14: procedure search, dossier links
    if (t.status === "called" && previous && previous.status === "waiting") ring(t);
  }

  // ---- alerts -----------------------------------------------------------------------------
  function enableAlerts() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (Ctx) { audio = new Ctx(); beep(0, 0.01, 440); }
    } catch (e) { audio = null; }
    if (navigator.vibrate) { try { navigator.vibrate(60); } catch (e) { /* not allowed */ } }
    if (audio === null) audio = false;   // no sound here, but the visitor chose: hide the button
    render(ticket);
  }

  function beep(at, length, freq) {
    if (!audio) return;
    var now = audio.currentTime + at;
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.5, now + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + length);
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start(now);
    osc.stop(now + length + 0.05);
  }

  function ring(t) {
    var key = (t.called_at || "") + "|" + t.desk;
    if (alerted[key]) return;
    alerted[key] = true;
    if (navigator.vibrate) { try { navigator.vibrate([400, 200, 400, 200, 800]); } catch (e) { /* ignore */ } }
    if (audio) {
      if (audio.state === "suspended" && audio.resume) audio.resume();
      [0, 1.2].forEach(function (start) { beep(start, 0.6, 880); beep(start + 0.5, 0.9, 660); });
    }
  }

  // ---- rating -----------------------------------------------------------------------------
  // issue 14: 5 or 3 levels and a reason at low scores (counter_display/static/rating.js)
  var R = window.HangDoiRating, scale = null;
  function buildRating() {
    if (R) { R.settings().then(function (s) { scale = s; fillRating(R.faces(s.levels)); }); return; }
    fillRating(RATING.map(function (label, i) { return { score: i + 1, vi: label }; }));
  }
  function fillRating(faces) {
    var box = $("stars");
    while (box.firstChild) box.removeChild(box.firstChild);
    faces.forEach(function (f) {
      var b = document.createElement("button");
      b.type = "button";
      var n = document.createElement("b");
      n.textContent = String(f.score);
      b.appendChild(n);
      b.appendChild(document.createTextNode(f.vi));
      b.addEventListener("click", function () { rate(f.score); });
      box.appendChild(b);
    });
  }

  function rate(score) {
    Array.prototype.forEach.call($("stars").querySelectorAll("button"), function (b) { b.disabled = true; });
    if (R && scale && R.asksReason(score, scale)) {
      var ask = $("rating-reasons") || $("rating").appendChild(Object.assign(document.createElement("div"),
                                                                               { id: "rating-reasons", className: "rating-reasons" }));
      $("stars").hidden = true;
      R.askReason(ask, scale, function (reason, comment) { send(score, reason, comment); }, true);
      return;
    }
    send(score, null, null);
  }
  function send(score, reason, comment) {
    var body = { score: score };
    if (reason) body.reason = reason;
    if (comment) body.comment = comment;
    fetch("/api/v1/tickets/" + ticket.id + "/rating?t=" + encodeURIComponent(secret), {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      var done = $("rating-done");
      done.hidden = false;
      if (r.status === 201) done.textContent = "Cảm ơn bạn đã đánh giá!";
      else if (r.status === 409) done.textContent = "Phiếu này đã được đánh giá. Cảm ơn bạn!";
      else { done.textContent = "Chưa gửi được đánh giá, xin thử lại."; $("stars").hidden = false; enableStars(); }
      if (r.status === 201 || r.status === 409) $("stars").hidden = true;
    }).catch(function () {
      $("rating-done").hidden = false;
      $("rating-done").textContent = "Chưa gửi được đánh giá, xin thử lại.";
      enableStars();
    });
  }
  function enableStars() {
    Array.prototype.forEach.call($("stars").querySelectorAll("button"), function (b) { b.disabled = false; });
  }

  // ---- live updates -----------------------------------------------------------------------
  function live(on) {
    connected = on;
    var n = $("live");
    n.className = on ? "live" : "live off";
    n.textContent = on ? "Trang tự cập nhật khi số của bạn thay đổi." : "Đang kết nối lại… trang vẫn tự kiểm tra mỗi 15 giây.";
    clearInterval(pollTimer);
    if (!on) pollTimer = setInterval(poll, 15000);
  }

  function poll() {
    fetch("/api/v1/tickets/" + ticket.id + "?t=" + encodeURIComponent(secret), { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && body.ticket) render(body.ticket); })
      .catch(function () { /* still offline */ });
  }

  function connect() {
    if (typeof window.io !== "function") { live(false); return; }
    var socket = window.io({ path: cfg.socket_path || "/socket.io" });
    socket.on("connect", function () {
      socket.emit("follow", { ticket: ticket.id, t: secret });
      live(true);
    });
    socket.on("disconnect", function () { live(false); });
    socket.on("ticket", function (m) { if (m && m.ticket && m.ticket.id === ticket.id) render(m.ticket); });
    socket.on("call", function (c) {
      if (!c || !c.ticket || c.ticket.id !== ticket.id) return;
      render(c.ticket, c.desk && c.desk.name);
      ring(c.recall ? { called_at: c.called_at + "|recall|" + Date.now(), desk: c.ticket.desk } : c.ticket);
    });
    socket.on("error", function () { live(false); });
  }

  $("alert-btn").addEventListener("click", enableAlerts);
  buildRating();
  render(ticket);
  connect();
}());
