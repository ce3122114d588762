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
  var P = window.HangDoiPage, $ = P.$, tr = P.t;
  var RATING = [1, 2, 3, 4, 5];

  function setText(id, text) { P.setText(id, text); }
  function waitText(seconds, estimate) { return P.wait(seconds, estimate); }

  /* [title, text] of the ticket's state: phone.<status>.title/.text, the words the server
   * rendered the page with. */
  function texts(t) {
    if (!P.i18n.has("phone." + t.status + ".title")) return [t.status, ""];
    return [tr("phone." + t.status + ".title", { desk: t.desk }), tr("phone." + t.status + ".text", { desk: t.desk })];
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
    // "đến ngay Quầy 50 – Viễn thông Thái Nguyên (VNPT)", not the number and then the name in brackets
    setText("state-text", deskName && t.status === "called" ? tr("phone.called.text_named", { name: deskName }) : words[1]);
    $("facts").hidden = t.status !== "waiting";
    setText("ahead", t.waiting_ahead);
    setText("wait", waitText(t.estimated_wait_s, t.estimate));
    document.title = t.status === "called" ? tr("phone.title_called", { desk: t.desk, code: t.code })
                                           : tr("phone.title", { code: t.code, center: cfg.center.name });
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
  // The same five faces as the desk display's rating screen, from the page's <template id="faces">.
  function face(i) {
    var faces = $("faces").content.querySelectorAll("svg");
    return faces[i].cloneNode(true);
  }

  // issue 14: 5 or 3 levels and a reason at low scores (counter_display/static/rating.js); on 3
  // levels faces 1, 4 and 5 stand for "Không hài lòng", "Hài lòng", "Rất hài lòng"
  var R = window.HangDoiRating, scale = null;
  function buildRating() {
    if (R) { R.settings().then(function (s) { scale = s; fillRating(R.faces(s.levels)); }); return; }
    fillRating(RATING.map(function (score) { return { face: score, score: score, key: "rating." + score }; }));
  }
  function fillRating(faces) {
    var box = $("stars");
    P.clear(box);
    faces.forEach(function (f) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "face face-" + f.face;
      b.dataset.score = String(f.score);
      b.appendChild(face(f.face - 1));
      b.appendChild(P.el("span", "face-label", tr(f.key)));
      b.addEventListener("click", function () { rate(f.score); });
      box.appendChild(b);
    });
  }

  function rate(score) {
    Array.prototype.forEach.call($("stars").querySelectorAll("button"), function (b) {
      b.disabled = true;
      b.classList.toggle("chosen", b.dataset.score === String(score));
    });
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
      if (r.status === 201) done.textContent = tr("rating.thanks");
      else if (r.status === 409) done.textContent = tr("rating.already");
      else { done.textContent = tr("rating.retry"); $("stars").hidden = false; enableStars(); }
      if (r.status === 201) { $("stars").hidden = false; $("stars").classList.add("rated"); }  // the face given stays, the others fade
      if (r.status === 409) $("stars").hidden = true;
    }).catch(function () {
      $("rating-done").hidden = false;
      $("rating-done").textContent = tr("rating.retry");
      $("stars").hidden = false;
      enableStars();
    });
  }
  function enableStars() {
    Array.prototype.forEach.call($("stars").querySelectorAll("button"), function (b) {
      b.disabled = false;
      b.classList.remove("chosen");
    });
  }

  // ---- live updates -----------------------------------------------------------------------
  function live(on) {
    connected = on;
    liveText();
    clearInterval(pollTimer);
    if (!on) pollTimer = setInterval(poll, 15000);
  }

  function liveText() {
    var n = $("live");
    n.className = connected ? "live" : "live off";
    n.textContent = connected ? tr("phone.live_on") : tr("phone.live_off");
  }

  function poll() {
    fetch("/api/v1/tickets/" + ticket.id + "?t=" + encodeURIComponent(secret), { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && body.ticket) render(body.ticket); })
      .catch(function () { /* still offline */ });
  }

  function connect() {
    if (typeof window.io !== "function") { live(false); return; }
    var socket = P.connect({});
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

  /* The language switch: every word of the page again in the next language. */
  function applyLang() {
    $("lang").textContent = tr("common.lang_name", null, P.i18n.nextLang());
    buildRating();
    render(ticket);
    if (connected) liveText();
  }

  $("alert-btn").addEventListener("click", enableAlerts);
  P.i18n.ready.then(function () {
    $("lang").addEventListener("click", function () { P.i18n.setLang(P.i18n.nextLang()); });
    P.i18n.onChange(applyLang);
    P.i18n.setLang(P.i18n.lang);
    connect();
  });
}());
