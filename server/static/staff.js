/* Hàng Đợi — what the staff pages (/desk, /supervisor) share, on top of every page's shared module
 * (/static/shared/page.js: DOM helpers, the catalog, the socket): the message bar; readable
 * errors (error.<code> of the catalog, in the page's language); the API client; the language switch.
 *
 * The access token lives in sessionStorage (gone when the tab closes) and goes out only as
 * "Authorization: Bearer ..." with credentials: "omit". No cookie is ever set, so a request
 * forged by another site carries no credentials: the pages are CSRF-safe by construction.
 *
 *   var staff = HangDoiStaff({ tokenKey: "...", userKey: "...", errors: { code: "error.other_key" },
 *                              onUnauthorized: function (message) {...}, onClock: function (offsetMs) {...} });
 */
(function () {
  "use strict";

  var P = window.HangDoiPage;
  var LANG_KEY = "hangdoi.staff.lang";

  function ApiError(status, code, message) { this.status = status; this.code = code; this.message = message; }

  var $ = P.$, el = P.el, clear = P.clear;
  function setText(id, text) { var n = typeof id === "string" ? $(id) : id; n.textContent = text; return n; }

  window.HangDoiStaff = function (options) {
    var store = window.sessionStorage;
    /* error code → the words for it in the page's language (error.<code> of the catalog) */
    function error(code) {
      var own = options.errors && options.errors[code];     // a page's own words for a code
      return P.t(own || "error." + code);
    }

    function token() { return store.getItem(options.tokenKey); }
    function user() { try { return JSON.parse(store.getItem(options.userKey) || "null"); } catch (e) { return null; } }
    /* the answer of POST /auth/login kept for this tab; forget() when signing out */
    function remember(login) {
      store.setItem(options.tokenKey, login.access_token);
      store.setItem(options.userKey, JSON.stringify(login.user));
    }
    function forget() { store.removeItem(options.tokenKey); store.removeItem(options.userKey); }

    var messageTimer = null;
    function say(text, kind) {
      var box = $("message");
      box.className = "message " + (kind || "info");
      box.textContent = text;
      box.hidden = false;
      clearTimeout(messageTimer);
      messageTimer = setTimeout(function () { box.hidden = true; }, kind === "error" ? 9000 : 4000);
    }
    function errorText(err) {
      if (!err) return error("internal_error");
      if (P.i18n.has("error." + err.code) || (options.errors && options.errors[err.code])) return error(err.code);
      return err.status >= 500 ? error("internal_error") : (err.message || error("bad_request"));
    }

    /* fetch /api/v1 + path; resolves to the JSON body (or, with raw, the Response itself), rejects
       with an ApiError carrying the server's stable error code. */
    function request(method, path, body, raw) {
      var headers = { "Accept": raw ? "*/*" : "application/json" };
      if (token()) headers["Authorization"] = "Bearer " + token();
      if (body !== undefined) headers["Content-Type"] = "application/json";
      return fetch("/api/v1" + path, {
        method: method, headers: headers, credentials: "omit", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body)
      }).catch(function () {
        throw new ApiError(0, "network", error("network"));
      }).then(function (response) {
        var date = response.headers.get("Date");
        if (date && options.onClock) {
          var offset = Date.parse(date) - Date.now();
          options.onClock(Math.abs(offset) > 2000 ? offset : 0);
        }
        if (raw && response.ok) return response;
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (response.ok) return data;
          var e = (data && data.error) || {};
          if (response.status === 401 && path !== "/auth/login" && options.onUnauthorized) {
            options.onUnauthorized(error("invalid_token"));
          }
          throw new ApiError(response.status, e.code || "http_" + response.status, e.message || "");
        });
      });
    }

    /* The page's Socket.IO connection with the sign-in's token, reconnecting within 2 s. When the
       server cuts it (the sign-in was revoked or has expired, or the officer moved to another
       agency), ask the API at probePath: a 401 signs the page out (onUnauthorized); if the sign-in
       still holds, connect again, unless isCurrent(socket) says the page has a newer socket. */
    function socket(probePath, isCurrent) {
      var s = P.connect({ auth: { token: token() } });
      s.on("disconnect", function (reason) {
        if (reason !== "io server disconnect") return;
        request("GET", probePath).then(function () { if (isCurrent(s)) s.connect(); }).catch(function () {});
      });
      return s;
    }

    /* The language switch of the topbar (button#lang): the officer's choice is kept for the tab
       (sessionStorage, like the sign-in; nothing is stored beyond the tab); onChange re-draws what
       the page drew itself. Resolves when the words are loaded. */
    function languages(onChange) {
      return P.i18n.ready.then(function () {
        var saved = store.getItem(LANG_KEY);
        var button = $("lang");
        var label = function () { if (button) button.textContent = P.t("common.lang_name", null, P.i18n.nextLang()); };
        P.i18n.onChange(function () { label(); if (onChange) onChange(); });
        if (button) button.addEventListener("click", function () {
          var next = P.i18n.nextLang();
          store.setItem(LANG_KEY, next);
          P.i18n.setLang(next);
        });
        P.i18n.setLang(saved && !new URLSearchParams(window.location.search).get("lang") ? saved : P.i18n.lang);
      });
    }

    return {
      $: $, setText: setText, el: el, clear: clear, store: store, error: error, t: P.t, duration: P.duration,
      formatDate: P.formatDate, languages: languages,
      token: token, user: user, remember: remember, forget: forget, say: say, errorText: errorText, ApiError: ApiError, request: request,
      api: function (method, path, body) { return request(method, path, body, false); }, socket: socket
    };
  };
})();
