/* Hàng Đợi — what the staff pages (/desk, /supervisor) share: DOM helpers that insert text,
 * never HTML; the message bar; readable Vietnamese errors; and the API client.
 *
 * The access token lives in sessionStorage (gone when the tab closes) and goes out only as
 * "Authorization: Bearer ..." with credentials: "omit". No cookie is ever set, so a request
 * forged by another site carries no credentials: the pages are CSRF-safe by construction.
 *
 *   var staff = HangDoiStaff({ tokenKey: "...", userKey: "...", errors: {...},
 *                              onUnauthorized: function (message) {...}, onClock: function (offsetMs) {...} });
 */
(function () {
  "use strict";

  var COMMON_ERRORS = {
    invalid_credentials: "Sai tên đăng nhập hoặc mật khẩu.",
    too_many_attempts: "Đăng nhập sai quá nhiều lần. Xin chờ một phút rồi thử lại.",
    invalid_token: "Phiên đăng nhập đã hết hạn. Xin vui lòng đăng nhập lại.",
    unauthorized: "Phiên đăng nhập đã hết hạn. Xin vui lòng đăng nhập lại.",
    rate_limited: "Thao tác quá nhanh. Xin chờ giây lát rồi thử lại.",
    storage_unavailable: "Máy chủ tạm thời không ghi được dữ liệu. Xin thử lại sau giây lát.",
    internal_error: "Máy chủ gặp lỗi. Xin thử lại; nếu vẫn lỗi, hãy báo bộ phận kỹ thuật.",
    invalid_request: "Dữ liệu gửi lên không hợp lệ.",
    invalid_json: "Dữ liệu gửi lên không hợp lệ.",
    bad_request: "Yêu cầu không hợp lệ.",
    not_found: "Không tìm thấy.",
    network: "Không kết nối được máy chủ. Xin kiểm tra mạng rồi thử lại."
  };

  function ApiError(status, code, message) { this.status = status; this.code = code; this.message = message; }

  function $(id) { return document.getElementById(id); }
  function setText(id, text) { var n = typeof id === "string" ? $(id) : id; n.textContent = text; return n; }
  function el(tag, className, text) {
    var n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  window.HangDoiStaff = function (options) {
    var store = window.sessionStorage;
    var errors = {};
    Object.keys(COMMON_ERRORS).forEach(function (k) { errors[k] = COMMON_ERRORS[k]; });
    Object.keys(options.errors || {}).forEach(function (k) { errors[k] = options.errors[k]; });

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
      if (!err) return errors.internal_error;
      return errors[err.code] || (err.status >= 500 ? errors.internal_error : (err.message || errors.bad_request));
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
        throw new ApiError(0, "network", errors.network);
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
            options.onUnauthorized(errors.invalid_token);
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
      var s = window.io({ path: "/socket.io", auth: { token: token() }, reconnectionDelayMax: 2000 });
      s.on("disconnect", function (reason) {
        if (reason !== "io server disconnect") return;
        request("GET", probePath).then(function () { if (isCurrent(s)) s.connect(); }).catch(function () {});
      });
      return s;
    }

    return {
      $: $, setText: setText, el: el, clear: clear, store: store, errors: errors,
      token: token, user: user, remember: remember, forget: forget, say: say, errorText: errorText, ApiError: ApiError, request: request,
      api: function (method, path, body) { return request(method, path, body, false); }, socket: socket
    };
  };
})();
