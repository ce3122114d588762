/* Hàng Đợi — the rating's scale and reason (issue 14), shared by the desk display and the phone.
 *
 * `[ratings] levels` is 5 or 3 (both in use in Vietnam). The same five face pictures are used:
 * on 3 levels, faces 1, 4 and 5 stand for 1 "Không hài lòng", 2 "Hài lòng", 3 "Rất hài lòng".
 * At or below `reason_at_most` a short list of reasons is asked (VNPT's counter tablets ask at
 * 3 stars or below and give up after 30 s: the rating is then sent without a reason).
 *
 *   HangDoiRating.settings()                 → Promise of {levels, reason_at_most, reasons, timeout_s}
 *   HangDoiRating.faces(levels)              → [{face: 1..5, score, vi, en}] in screen order
 *   HangDoiRating.asksReason(score, s)       → whether to ask why
 *   HangDoiRating.askReason(box, s, done, freeText)
 *                                            → fills `box` with the reasons; done(reason|null, comment|null)
 *                                              once (a tap, "Bỏ qua", or the time-out); with freeText (the
 *                                              phone, which has a keyboard) also "Ý kiến khác"; returns cancel()
 * Texts are set as text, never as HTML.
 */
(function () {
  "use strict";

  /* ---- TEXTS (to move into the text catalog server/i18n/*.json) ---- */
  var TEXT = {
    ask: "Quý khách chưa hài lòng về điều gì?", ask_en: "What was not good?",
    skip: "Bỏ qua", skip_en: "Skip", other: "Khác", other_ph: "Ý kiến khác của quý khách (không bắt buộc)",
    send: "Gửi đánh giá",
    five: [["Rất không hài lòng", "Very dissatisfied"], ["Không hài lòng", "Dissatisfied"], ["Bình thường", "Neutral"],
           ["Hài lòng", "Satisfied"], ["Rất hài lòng", "Very satisfied"]],
    three: [["Không hài lòng", "Dissatisfied"], ["Hài lòng", "Satisfied"], ["Rất hài lòng", "Very satisfied"]]
  };
  var DEFAULTS = { levels: 5, reason_at_most: 2, reasons: [], timeout_s: 30 };
  var cached = null;

  function settings() {
    if (!cached) {
      cached = fetch("/api/v1/lookup", { cache: "no-store" }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          var s = body && body.ratings;
          return s && (s.levels === 3 || s.levels === 5) ? s : DEFAULTS;
        }).catch(function () { cached = null; return DEFAULTS; });
    }
    return cached;
  }

  function faces(levels) {
    if (levels === 3) {
      return [1, 4, 5].map(function (face, i) { return { face: face, score: i + 1, vi: TEXT.three[i][0], en: TEXT.three[i][1] }; });
    }
    return [1, 2, 3, 4, 5].map(function (face) { return { face: face, score: face, vi: TEXT.five[face - 1][0], en: TEXT.five[face - 1][1] }; });
  }

  function asksReason(score, s) {
    return !!(s && s.reasons && s.reasons.length && score <= (s.reason_at_most || 0));
  }

  function askReason(box, s, done, freeText) {
    var finished = false, text = null;
    var timer = freeText ? null : setTimeout(function () { finish(null); }, 1000 * (s.timeout_s || 30));
    function finish(reason) {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      var comment = text && text.value.trim() ? text.value.trim().slice(0, 500) : null;
      while (box.firstChild) box.removeChild(box.firstChild);
      box.hidden = true;
      done(reason || (comment ? TEXT.other : null), comment);
    }
    while (box.firstChild) box.removeChild(box.firstChild);
    var title = document.createElement("div");
    title.className = "reason-title";
    title.textContent = TEXT.ask;
    var en = document.createElement("span");
    en.className = "en";
    en.textContent = TEXT.ask_en;
    title.appendChild(en);
    box.appendChild(title);
    var list = document.createElement("div");
    list.className = "reason-list";
    s.reasons.forEach(function (reason) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "reason";
      b.textContent = reason;
      b.addEventListener("click", function () { finish(reason); });
      list.appendChild(b);
    });
    var skip = document.createElement("button");
    skip.type = "button";
    skip.className = "reason reason-skip";
    skip.textContent = TEXT.skip + " / " + TEXT.skip_en;
    skip.addEventListener("click", function () { finish(null); });
    list.appendChild(skip);
    box.appendChild(list);
    if (freeText) {
      text = document.createElement("textarea");
      text.className = "reason-text";
      text.maxLength = 500;
      text.placeholder = TEXT.other_ph;
      box.appendChild(text);
      var go = document.createElement("button");
      go.type = "button";
      go.className = "reason reason-send";
      go.textContent = TEXT.send;
      go.addEventListener("click", function () { finish(null); });
      box.appendChild(go);
    }
    box.hidden = false;
    return function cancel() { finished = true; clearTimeout(timer); box.hidden = true; };
  }

  window.HangDoiRating = { settings: settings, faces: faces, asksReason: asksReason, askReason: askReason };
}());
