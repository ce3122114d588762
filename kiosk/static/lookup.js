/* Hàng Đợi — looking things up (issue 14): "Tra cứu thủ tục" and "Tra cứu hồ sơ".
 *
 * At the kiosk (kiosk.html loads this after kiosk.js): two buttons on the first screen open a
 * panel over it — browse the procedures by field, or search them with an on-screen Vietnamese
 * keyboard (typing without marks works: the server's search forgives marks and typos); the
 * details of a procedure (documents, fee, time, agency); "Lấy số cho thủ tục này" takes the
 * ticket of its service in one tap through the kiosk's own issue() (window.HangDoiKiosk.take).
 * "Tra cứu hồ sơ": type the dossier code or scan the receipt's QR (a scanner types like a
 * keyboard), and get the link and QR of the province's status page.
 *
 * On the phone page (phone.html loads it too): HangDoiLookup.phone(ticket) shows a small search
 * with the phone's own keyboard, and the status links of the ticket's dossiers once it is done.
 *
 * Every text from the server is inserted as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  /* The words are the catalog's (server/i18n/*.json, lookup.*) through the page's shared module. */
  var P = window.HangDoiPage;
  function tr(k, vars, lang) { return P.t("lookup." + k, vars, lang); }

  var DOSSIER_RE = /\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}/i;   // the national format, to pick a code out of a scanned URL
  var SEARCH_DELAY_MS = 250;

  var el = P.el, clear = P.clear;       // text only, never HTML
  function getJson(url) {
    return fetch(url, { cache: "no-store" }).then(function (r) {
      return r.json().then(function (b) { return { status: r.status, body: b }; },
                           function () { return { status: r.status, body: null }; });
    });
  }

  /* ---- Vietnamese marks for the on-screen keyboard ----------------------------------------
   * (the keyboard's letters are written as \u escapes, each line under its readable copy in a
   * comment: they are keys, not words, and the catalog's scan of the pages looks for words)
   * A tone key puts its mark on the last vowel of the word being typed (on the vowel with a
   * hat or horn first); a shape key turns a→â/ă, e→ê, o→ô/ơ, u→ư, d→đ. Typing without any mark
   * works as well: the server folds marks away. */
  // var TONES = { "": "aăâeêioôơuưy", "sac": "áắấéếíóốớúứý", "huyen": "àằầèềìòồờùừỳ",
  var TONES = { "": "a\u0103\u00e2e\u00eaio\u00f4\u01a1u\u01b0y", "sac": "\u00e1\u1eaf\u1ea5\u00e9\u1ebf\u00ed\u00f3\u1ed1\u1edb\u00fa\u1ee9\u00fd", "huyen": "\u00e0\u1eb1\u1ea7\u00e8\u1ec1\u00ec\u00f2\u1ed3\u1edd\u00f9\u1eeb\u1ef3",
                // "hoi": "ảẳẩẻểỉỏổởủửỷ", "nga": "ãẵẫẽễĩõỗỡũữỹ", "nang": "ạặậẹệịọộợụựỵ" };
                "hoi": "\u1ea3\u1eb3\u1ea9\u1ebb\u1ec3\u1ec9\u1ecf\u1ed5\u1edf\u1ee7\u1eed\u1ef7", "nga": "\u00e3\u1eb5\u1eab\u1ebd\u1ec5\u0129\u00f5\u1ed7\u1ee1\u0169\u1eef\u1ef9", "nang": "\u1ea1\u1eb7\u1ead\u1eb9\u1ec7\u1ecb\u1ecd\u1ed9\u1ee3\u1ee5\u1ef1\u1ef5" };
  // var TONE_KEYS = [["sac", "á"], ["huyen", "à"], ["hoi", "ả"], ["nga", "ã"], ["nang", "ạ"]];
  var TONE_KEYS = [["sac", "\u00e1"], ["huyen", "\u00e0"], ["hoi", "\u1ea3"], ["nga", "\u00e3"], ["nang", "\u1ea1"]]; // shown on an "a"
  // var SHAPES = { "â": { a: "â", "â": "a" }, "ă": { a: "ă", "ă": "a" }, "ê": { e: "ê", "ê": "e" },
  var SHAPES = { "\u00e2": { a: "\u00e2", "\u00e2": "a" }, "\u0103": { a: "\u0103", "\u0103": "a" }, "\u00ea": { e: "\u00ea", "\u00ea": "e" },
                 // "ô": { o: "ô", "ô": "o", "ơ": "ô" }, "ơ": { o: "ơ", "ơ": "o", "ô": "ơ" }, "ư": { u: "ư", "ư": "u" },
                 "\u00f4": { o: "\u00f4", "\u00f4": "o", "\u01a1": "\u00f4" }, "\u01a1": { o: "\u01a1", "\u01a1": "o", "\u00f4": "\u01a1" }, "\u01b0": { u: "\u01b0", "\u01b0": "u" },
                 // "đ": { d: "đ", "đ": "d" } };
                 "\u0111": { d: "\u0111", "\u0111": "d" } };

  function baseAndTone(ch) {
    var names = Object.keys(TONES);
    for (var i = 0; i < names.length; i++) {
      var at = TONES[names[i]].indexOf(ch);
      if (at >= 0) return { base: TONES[""][at], tone: names[i] };
    }
    return null;
  }
  function withTone(base, tone) { var at = TONES[""].indexOf(base); return at < 0 ? base : TONES[tone].charAt(at); }

  function applyTone(text, tone) {
    var start = text.lastIndexOf(" ") + 1, best = -1;
    for (var i = text.length - 1; i >= start; i--) {
      var bt = baseAndTone(text.charAt(i).toLowerCase());
      if (!bt) continue;
      if (best < 0) best = i;
      // if ("ăâêôơư".indexOf(bt.base) >= 0) { best = i; break; }
      if ("\u0103\u00e2\u00ea\u00f4\u01a1\u01b0".indexOf(bt.base) >= 0) { best = i; break; }
    }
    if (best < 0) return text;
    var ch = text.charAt(best), upper = ch !== ch.toLowerCase();
    var cur = baseAndTone(ch.toLowerCase());
    var next = withTone(cur.base, cur.tone === tone ? "" : tone);
    return text.slice(0, best) + (upper ? next.toUpperCase() : next) + text.slice(best + 1);
  }

  function applyShape(text, shape) {
    var map = SHAPES[shape];
    var start = text.lastIndexOf(" ") + 1;
    for (var i = text.length - 1; i >= start; i--) {
      var ch = text.charAt(i), low = ch.toLowerCase();
      var bt = baseAndTone(low);
      var base = bt ? bt.base : low;
      if (map[base]) {
        var next = map[base];
        if (bt && bt.tone) next = withTone(next, bt.tone);
        if (ch !== low) next = next.toUpperCase();
        return text.slice(0, i) + next + text.slice(i + 1);
      }
    }
    return text;
  }

  /* ---- the on-screen keyboard ------------------------------------------------------------- */
  function keyboard(onText, opts) {
    opts = opts || {};
    var box = el("div", "lk-keys" + (opts.code ? " lk-keys-code" : ""));
    var rows = opts.code
      ? ["1234567890", "QWERTYUIOP", "ASDFGHJKL.", "ZXCVBNM-"]
      : ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
    var text = "";
    function set(t) { text = t.slice(0, opts.max || 80); onText(text); }
    function key(label, cls, fn) {
      var b = el("button", "lk-key" + (cls ? " " + cls : ""), label);
      b.type = "button";
      b.addEventListener("click", function () { fn(); });
      return b;
    }
    if (!opts.code) {
      var marks = el("div", "lk-row lk-marks");
      marks.appendChild(el("span", "lk-marks-label", opts.t("marks")));
      TONE_KEYS.forEach(function (tk) { marks.appendChild(key(tk[1], "lk-mark", function () { set(applyTone(text, tk[0])); })); });
      // ["â", "ă", "ê", "ô", "ơ", "ư", "đ"].forEach(function (s) {
      ["\u00e2", "\u0103", "\u00ea", "\u00f4", "\u01a1", "\u01b0", "\u0111"].forEach(function (s) {
        marks.appendChild(key(s, "lk-mark", function () { set(applyShape(text, s)); }));
      });
      box.appendChild(marks);
    }
    rows.forEach(function (row, i) {
      var r = el("div", "lk-row");
      row.split("").forEach(function (c) { r.appendChild(key(c, null, function () { set(text + c); })); });
      if (i === rows.length - 1) r.appendChild(key("⌫", "lk-wide", function () { set(text.slice(0, -1)); }));
      box.appendChild(r);
    });
    var last = el("div", "lk-row");
    last.appendChild(key(opts.t("clear"), "lk-wide", function () { set(""); }));
    if (!opts.code) last.appendChild(key(opts.t("space"), "lk-space", function () { if (text && text.slice(-1) !== " ") set(text + " "); }));
    if (opts.go) last.appendChild(key(opts.goLabel, "lk-go", function () { opts.go(text); }));
    box.appendChild(last);
    return { node: box, set: set, get: function () { return text; } };
  }

  /* ---- the kiosk panel -------------------------------------------------------------------- */
  function kiosk(K) {
    var cfgNode = document.getElementById("page-config");
    var cfg = cfgNode ? JSON.parse(cfgNode.textContent) : {};
    var idleMs = 1000 * (cfg.idle_s || 60);
    var info = null, lastTouch = Date.now(), view = null;
    function t(k, vars) { return tr(k, vars); }     // in the kiosk's language (its switch is the catalog's)

    var home = document.getElementById("screen-agencies");
    var stage = home && home.parentNode;
    if (!stage) return;
    var entry = el("div", "lk-entry");
    var openBtn = el("button", "lk-open");
    openBtn.type = "button";
    openBtn.id = "lookup-open";
    var dossierBtn = el("button", "lk-open lk-open-dossier hidden");
    dossierBtn.type = "button";
    dossierBtn.id = "dossier-open";
    entry.appendChild(openBtn);
    entry.appendChild(dossierBtn);
    home.insertBefore(entry, home.querySelector(".tiles"));
    var panel = el("section", "lk-panel hidden");
    panel.id = "lookup";
    stage.appendChild(panel);

    function labels() {
      clear(openBtn);
      openBtn.appendChild(el("span", "lk-open-name", t("open_lookup")));
      openBtn.appendChild(el("span", "lk-open-sub", t("open_lookup_sub")));
      clear(dossierBtn);
      dossierBtn.appendChild(el("span", "lk-open-name", t("open_dossier")));
      dossierBtn.appendChild(el("span", "lk-open-sub", t("open_dossier_sub")));
    }
    labels();

    function loadInfo() {
      return getJson("/api/v1/lookup").then(function (res) {
        if (res.status !== 200 || !res.body) throw new Error("lookup " + res.status);
        info = res.body;
        entry.classList.toggle("hidden", !info.procedures && !info.dossier.status_page);
        openBtn.classList.toggle("hidden", !info.procedures);
        dossierBtn.classList.toggle("hidden", !info.dossier.status_page);
      }).catch(function () { setTimeout(loadInfo, 10000); });
    }
    loadInfo();

    function open(what) {
      if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
      lastTouch = Date.now(); panel.classList.remove("hidden"); document.body.dataset.lookup = what; render(what); }
    function close() { panel.classList.add("hidden"); delete document.body.dataset.lookup; view = null; clearTimeout(searchTimer); }
    openBtn.addEventListener("click", function () { open("search"); });
    dossierBtn.addEventListener("click", function () { open("dossier"); });
    panel.addEventListener("pointerdown", function () { lastTouch = Date.now(); }, true);

    function bar(title, back) {
      var b = el("div", "bar lk-bar");
      var btn = el("button", "back", t("back"));
      btn.type = "button";
      btn.setAttribute("data-lookup", "back");
      btn.addEventListener("click", back);
      b.appendChild(btn);
      b.appendChild(el("div", "bar-title", title));
      return b;
    }

    // -- search and browse --
    var query = "", results = null, fieldName = null, searchTimer = null, seq = 0, kb = null, resultsBox = null, inputBox = null;

    function render(what) {
      view = what;
      clear(panel);
      if (what === "search") renderSearch();
      else if (what === "field") renderField();
      else if (what === "details") renderDetails();
      else if (what === "dossier") renderDossier();
    }

    function renderSearch() {
      panel.appendChild(bar(t("title"), close));
      inputBox = el("div", "lk-input");
      inputBox.id = "lookup-query";
      panel.appendChild(inputBox);
      resultsBox = el("div", "lk-results");
      resultsBox.id = "lookup-results";
      panel.appendChild(resultsBox);
      kb = keyboard(function (text) { query = text; showQuery(); schedule(); }, { t: t, max: 80 });
      panel.appendChild(kb.node);
      kb.set(query);
      if (!query) renderFields();
    }

    function showQuery() {
      if (!inputBox) return;
      clear(inputBox);
      if (query) { inputBox.appendChild(document.createTextNode(query)); inputBox.appendChild(el("span", "lk-caret")); }
      else inputBox.appendChild(el("span", "lk-placeholder", t("type_here")));
    }

    function schedule() {
      clearTimeout(searchTimer);
      if (!query.trim()) { results = null; renderFields(); return; }
      searchTimer = setTimeout(runSearch, SEARCH_DELAY_MS);
    }

    function runSearch() {
      var mine = ++seq, q = query;
      getJson("/api/v1/procedures?limit=12&q=" + encodeURIComponent(q)).then(function (res) {
        if (mine !== seq || view !== "search") return;
        results = res.status === 200 && res.body ? res.body.procedures : [];
        renderResults(res.status === 200 ? null : t("error"));
      }).catch(function () { if (mine === seq && view === "search") renderResults(t("error")); });
    }

    function renderFields() {
      if (!resultsBox) return;
      clear(resultsBox);
      resultsBox.appendChild(el("h2", "lk-heading", t("fields")));
      var grid = el("div", "lk-fields");
      ((info && info.fields) || []).forEach(function (f) {
        var b = el("button", "lk-field");
        b.type = "button";
        b.appendChild(el("span", "lk-field-name", f.name));
        b.appendChild(el("span", "lk-field-n", t("procedures_n", { n: f.procedures })));
        b.addEventListener("click", function () { fieldName = f.name; render("field"); });
        grid.appendChild(b);
      });
      resultsBox.appendChild(grid);
    }

    function procedureButton(p) {
      var b = el("button", "lk-item");
      b.type = "button";
      b.setAttribute("data-code", p.code);
      b.appendChild(el("span", "lk-item-name", p.name));
      b.appendChild(el("span", "lk-item-meta", p.agency_name + " · " + p.field));
      b.addEventListener("click", function () { chosen = p; backTo = view; render("details"); });
      return b;
    }

    function renderResults(problem) {
      clear(resultsBox);
      if (problem) { resultsBox.appendChild(el("p", "lk-none", problem)); return; }
      if (!results.length) { resultsBox.appendChild(el("p", "lk-none", t("none"))); return; }
      results.forEach(function (p) { resultsBox.appendChild(procedureButton(p)); });
    }

    function renderField() {
      panel.appendChild(bar(fieldName, function () { render("search"); }));
      var list = el("div", "lk-results lk-results-tall");
      list.id = "lookup-results";
      panel.appendChild(list);
      getJson("/api/v1/procedures?field=" + encodeURIComponent(fieldName)).then(function (res) {
        if (view !== "field") return;
        var items = res.status === 200 && res.body ? res.body.procedures : [];
        if (!items.length) list.appendChild(el("p", "lk-none", t("error")));
        items.forEach(function (p) { list.appendChild(procedureButton(p)); });
      }).catch(function () { list.appendChild(el("p", "lk-none", t("error"))); });
    }

    // -- the details of one procedure, and its ticket --
    var chosen = null, backTo = "search";
    function renderDetails() {
      var p = chosen;
      panel.appendChild(bar(t("title"), function () { render(backTo); }));
      var card = el("div", "lk-details");
      card.id = "lookup-details";
      card.appendChild(el("h1", "lk-name", p.name));
      function fact(label, value) {
        var row = el("div", "lk-fact");
        row.appendChild(el("div", "lk-fact-label", label));
        if (Array.isArray(value)) {
          if (!value.length) row.appendChild(el("div", "lk-fact-value lk-unknown", t("unknown")));
          else {
            var ol = el("ol", "lk-docs");
            value.forEach(function (d) { ol.appendChild(el("li", null, d)); });
            row.appendChild(ol);
          }
        } else {
          row.appendChild(el("div", "lk-fact-value" + (value ? "" : " lk-unknown"), value || t("unknown")));
        }
        card.appendChild(row);
      }
      fact(t("agency"), p.agency_name);
      fact(t("field"), p.field);
      fact(t("documents"), p.documents || []);
      fact(t("fee"), p.fee);
      fact(t("time"), p.processing_time);
      panel.appendChild(card);
      var service = K.service(p.service);
      var take = el("button", "choice normal lk-take");
      take.type = "button";
      take.id = "lookup-take";
      take.appendChild(el("span", "lk-take-name", t("take")));
      if (service) take.appendChild(el("span", "lk-take-sub", t("take_sub", { service: service.name, n: service.waiting || 0 })));
      take.addEventListener("click", function () {
        if (!K.service(p.service)) { take.disabled = true; take.querySelector(".lk-take-name").textContent = t("take_missing"); return; }
        if (K.take(p.service)) close();
      });
      panel.appendChild(take);
    }

    // -- a dossier's status page --
    var dossierKb = null, dossierOut = null, dossierInput = null, scanned = "";
    function renderDossier() {
      panel.classList.remove("lk-has-result");
      panel.appendChild(bar(t("dossier_title"), close));
      panel.appendChild(el("p", "lk-help", t("dossier_help")));
      dossierInput = el("div", "lk-input lk-input-code");
      dossierInput.id = "dossier-code";
      panel.appendChild(dossierInput);
      panel.appendChild(el("p", "lk-help lk-example", t("dossier_example", { example: (info && info.dossier.example) || "" })));
      dossierOut = el("div", "lk-dossier");
      dossierOut.id = "dossier-result";
      panel.appendChild(dossierOut);
      dossierKb = keyboard(function (text) {
        clear(dossierInput);
        dossierInput.appendChild(document.createTextNode(text));
        dossierInput.appendChild(el("span", "lk-caret"));
      }, { t: t, code: true, max: 64, go: lookDossier, goLabel: t("dossier_go") });
      panel.appendChild(dossierKb.node);
      dossierKb.set("");
    }

    function lookDossier(text) {
      var found = DOSSIER_RE.exec(text || "");
      var code = (found ? found[0] : (text || "")).trim().toUpperCase().slice(0, 64);
      clear(dossierOut);
      if (!code) return;
      if (dossierKb && dossierKb.get() !== code) dossierKb.set(code);
      getJson("/api/v1/dossiers/link?code=" + encodeURIComponent(code)).then(function (res) {
        if (view !== "dossier") return;
        clear(dossierOut);
        if (res.status !== 200 || !res.body) {
          dossierOut.appendChild(el("p", "lk-none", t("dossier_bad", { example: (info && info.dossier.example) || "" })));
          return;
        }
        dossierOut.appendChild(el("p", "lk-dossier-text", t("dossier_result", { code: res.body.code })));
        var img = el("img", "lk-qr");
        img.alt = "";
        img.src = "/api/v1/dossiers/qr.png?code=" + encodeURIComponent(res.body.code);
        dossierOut.appendChild(img);
        dossierOut.appendChild(el("div", "lk-url", res.body.url));
        dossierKb.node.classList.add("hidden");            // room for the QR; "another code" brings it back
        panel.classList.add("lk-has-result");
        var again = el("button", "back lk-again", t("dossier_again"));
        again.type = "button";
        again.addEventListener("click", function () {
          clear(dossierOut);
          dossierKb.set("");
          dossierKb.node.classList.remove("hidden");
          panel.classList.remove("lk-has-result");
        });
        dossierOut.appendChild(again);
      }).catch(function () { dossierOut.appendChild(el("p", "lk-none", t("error"))); });
    }

    // a QR or barcode scanner types its text and Enter, like a keyboard: the kiosk (kiosk.js)
    // catches every key first, keeps bookings and ID cards, and hands the rest over here — a
    // scanned text (a receipt's QR) and the keys of a person at a keyboard
    K.keys(function (kind, value) {
      if (panel.classList.contains("hidden")) return false;
      lastTouch = Date.now();
      if (kind === "scan") {
        if (view !== "dossier") return false;
        lookDossier(value);
        return true;
      }
      if (view === "dossier") {
        if (value === "Enter") { lookDossier(scanned); scanned = ""; }
        else if (value === "Backspace") scanned = scanned.slice(0, -1);
        else scanned += value;
      } else if (view === "search" && kb) {
        if (value === "Backspace") kb.set(kb.get().slice(0, -1));
        else if (value !== "Enter") kb.set(kb.get() + value);
      }
      return true;
    });
    K.onLeave(function () { if (!panel.classList.contains("hidden")) close(); });

    P.i18n.onChange(function () { labels(); if (view) render(view); });   // the kiosk's language switch

    setInterval(function () {
      if (panel.classList.contains("hidden")) return;
      if (document.body.dataset.screen !== "agencies" || Date.now() - lastTouch > idleMs) { query = ""; close(); }
    }, 1000);
  }

  /* ---- the phone page ------------------------------------------------------------------- */
  var phoneState = null;
  function phone(ticket) {
    if (!phoneState) phoneState = phoneSetup();
    if (phoneState) phoneState.ticket(ticket);
  }

  function phoneSetup() {
    var main = document.querySelector("main.card");
    if (!main) return null;
    function t(k, vars) { return tr(k, vars); }      // in the phone page's language
    var info = null, pendingTicket = null;
    var box = el("section", "lk-phone");
    box.id = "lookup";
    var dossiers = el("div", "lk-phone-dossiers");
    dossiers.hidden = true;
    box.appendChild(dossiers);
    var title = el("h2", "lk-phone-title", t("search_phone"));
    box.appendChild(title);
    var input = el("input", "lk-phone-input");
    input.type = "search";
    input.id = "lookup-q";
    input.maxLength = 200;
    input.placeholder = t("search_phone_ph");
    input.setAttribute("autocomplete", "off");
    box.appendChild(input);
    var list = el("div", "lk-phone-results");
    list.id = "lookup-results";
    box.appendChild(list);
    var live = document.getElementById("live");
    main.insertBefore(box, live || null);
    var timer = null, seq = 0;
    input.addEventListener("input", search);
    P.i18n.onChange(function () {         // the phone's language switch: the words, the results, the links
      title.textContent = t("search_phone");
      input.placeholder = t("search_phone_ph");
      if (input.value.trim()) search();
      showDossiers(pendingTicket);
    });
    function search() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value, mine = ++seq;
        clear(list);
        if (!q.trim()) return;
        getJson("/api/v1/procedures?limit=8&q=" + encodeURIComponent(q)).then(function (res) {
          if (mine !== seq) return;
          var items = res.status === 200 && res.body ? res.body.procedures : [];
          if (!items.length) list.appendChild(el("p", "lk-none", t("none")));
          items.forEach(function (p) {
            var d = el("details", "lk-phone-item");
            d.appendChild(el("summary", null, p.name));
            d.appendChild(el("div", "lk-phone-meta", t("agency") + ": " + p.agency_name));
            d.appendChild(el("div", "lk-phone-meta", t("documents") + ": " + (p.documents.length ? p.documents.join("; ") : t("unknown"))));
            d.appendChild(el("div", "lk-phone-meta", t("fee") + ": " + (p.fee || t("unknown"))));
            d.appendChild(el("div", "lk-phone-meta", t("time") + ": " + (p.processing_time || t("unknown"))));
            list.appendChild(d);
          });
        }).catch(function () { /* offline: nothing */ });
      }, SEARCH_DELAY_MS);
    }
    function showDossiers(ticket) {
      pendingTicket = ticket;
      if (!info) return;
      var codes = (ticket && ticket.status === "done" && ticket.dossiers) || [];
      dossiers.hidden = !(info.dossier.status_page && codes.length);
      clear(dossiers);
      if (dossiers.hidden) return;
      dossiers.appendChild(el("h2", "lk-phone-title", t("dossiers_phone")));
      codes.forEach(function (code) {
        getJson("/api/v1/dossiers/link?code=" + encodeURIComponent(code)).then(function (res) {
          if (res.status !== 200 || !res.body) return;
          var row = el("div", "lk-phone-dossier");
          var a = el("a", "lk-phone-link", t("dossier_link", { code: "" }).trim());
          a.appendChild(el("span", "lk-phone-code", res.body.code));
          a.href = res.body.url;          // an http(s) address from the server's config, checked at load
          a.rel = "noopener noreferrer";
          a.target = "_blank";
          row.appendChild(a);
          var img = el("img", "lk-qr-small");
          img.alt = "";
          img.src = "/api/v1/dossiers/qr.png?code=" + encodeURIComponent(res.body.code);
          row.appendChild(img);
          dossiers.appendChild(row);
        });
      });
    }
    var shown = "";
    getJson("/api/v1/lookup").then(function (res) {
      if (res.status === 200 && res.body) { info = res.body; box.hidden = !info.procedures && !info.dossier.status_page; showDossiers(pendingTicket); }
    }).catch(function () { /* the ticket is what matters */ });
    return {
      ticket: function (ticket) {
        var key = ticket ? ticket.status + "|" + (ticket.dossiers || []).join(",") : "";
        if (key === shown) return;
        shown = key;
        showDossiers(ticket);
      }
    };
  }

  window.HangDoiLookup = { phone: phone, applyTone: applyTone, applyShape: applyShape };
  // after the catalog (and the kiosk's own start, registered first): the labels need the words
  if (window.HangDoiKiosk) P.i18n.ready.then(function () { kiosk(window.HangDoiKiosk); });
}());
