/* Hàng Đợi — the rating's scale and reason (issue 14), shared by the desk display and the phone.
 *
 * `[ratings] levels` is 5 or 3 (both in use in Vietnam). The same five face pictures are used:
 * on 3 levels, faces 1, 4 and 5 stand for 1 "Không hài lòng", 2 "Hài lòng", 3 "Rất hài lòng".
 * At or below `reason_at_most` a short list of reasons is asked (VNPT's counter tablets ask at
 * 3 stars or below and give up after 30 s: the rating is then sent without a reason).
 *
 *   HangDoiRating.settings()                 → Promise of {levels, reason_at_most, reasons, timeout_s}
 *   HangDoiRating.faces(levels)              → [{face: 1..5, score, key}] in screen order (key: the
 *                                              catalog's label, rating.N: a 3-level "Hài lòng" is rating.4)
 *   HangDoiRating.asksReason(score, s)       → whether to ask why
 *   HangDoiRating.askReason(box, s, done, freeText)
 *                                            → fills `box` with the reasons; done(reason|null, comment|null)
 *                                              once (a tap, "Bỏ qua", or the time-out); with freeText (the
 *                                              phone, which has a keyboard) also "Ý kiến khác"; returns cancel()
 * Words come from the catalog (window.HangDoiPage.t: rating.*), in the page's language with an
 * English subtitle under Vietnamese. The reasons are the config's (stored as written, in
 * Vietnamese); the default ones have catalog keys (`reason_keys`) and are shown in the page's
 * language. Texts are set as text, never as HTML.
 */
(function () {
  "use strict";

  var P = window.HangDoiPage;
  function t(key, lang) { return P ? P.t(key, null, lang) : key; }
  function lang() { return P ? P.i18n.lang : "vi"; }
  /* The English subtitle of a Vietnamese screen (nothing when the page is in English). */
  function subtitle(key) {
    if (lang() === "en") return null;
    var en = document.createElement("span");
    en.className = "en";
    en.textContent = t(key, "en");
    return en;
  }
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
    if (levels === 3) {     // Không hài lòng / Hài lòng / Rất hài lòng
      return [[1, 2], [4, 4], [5, 5]].map(function (f, i) { return { face: f[0], score: i + 1, key: "rating." + f[1] }; });
    }
    return [1, 2, 3, 4, 5].map(function (face) { return { face: face, score: face, key: "rating." + face }; });
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
      done(reason || (comment ? t("rating.reason_other", "vi") : null), comment);   // stored in Vietnamese
    }
    while (box.firstChild) box.removeChild(box.firstChild);
    var title = document.createElement("div");
    title.className = "reason-title";
    title.textContent = t("rating.reason_ask");
    var en = subtitle("rating.reason_ask");
    if (en) title.appendChild(en);
    box.appendChild(title);
    var list = document.createElement("div");
    list.className = "reason-list";
    s.reasons.forEach(function (reason, i) {
      var key = (s.reason_keys || [])[i];
      var b = document.createElement("button");
      b.type = "button";
      b.className = "reason";
      b.textContent = key ? t(key) : reason;       // the default reasons in the page's language
      b.addEventListener("click", function () { finish(reason); });
      list.appendChild(b);
    });
    var skip = document.createElement("button");
    skip.type = "button";
    skip.className = "reason reason-skip";
    skip.textContent = t("rating.reason_skip") + (lang() === "en" ? "" : " / " + t("rating.reason_skip", "en"));
    skip.addEventListener("click", function () { finish(null); });
    list.appendChild(skip);
    box.appendChild(list);
    if (freeText) {
      text = document.createElement("textarea");
      text.className = "reason-text";
      text.maxLength = 500;
      text.placeholder = t("rating.reason_other_placeholder");
      box.appendChild(text);
      var go = document.createElement("button");
      go.type = "button";
      go.className = "reason reason-send";
      go.textContent = t("rating.send");
      go.addEventListener("click", function () { finish(null); });
      box.appendChild(go);
    }
    box.hidden = false;
    return function cancel() { finished = true; clearTimeout(timer); box.hidden = true; };
  }

  window.HangDoiRating = { settings: settings, faces: faces, asksReason: asksReason, askReason: askReason };
}());
