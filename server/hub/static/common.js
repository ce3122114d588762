/* Hàng Đợi hub pages: small helpers shared by / and /province. Text only goes in through textContent. */
"use strict";
const HD = {
  tz: "Asia/Ho_Chi_Minh",                     // the hub's timezone, set from /hub/v1/public/sites
  clock(date) {
    return (date || new Date()).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit", timeZone: HD.tz });
  },
  soon(seconds) {                              // an estimate in words
    if (seconds === null || seconds === undefined) return "—";
    return seconds < 60 ? "gọi ngay" : `~${Math.round(seconds / 60)} phút`;
  },
  el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  },
  clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; },
  minutes(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const m = Math.round(seconds / 60);
    return m < 1 ? "< 1 phút" : `${m} phút`;
  },
  time(iso) {
    if (!iso) return "—";
    return iso.slice(11, 16);
  },
  num(v, digits) {
    if (v === null || v === undefined) return "—";
    return Number(v).toLocaleString("vi-VN", { maximumFractionDigits: digits === undefined ? 1 : digits });
  },
  async json(url, options) {
    const r = await fetch(url, options);
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) {
      const err = new Error((body && body.error && body.error.message) || `HTTP ${r.status}`);
      err.status = r.status;
      throw err;
    }
    return body;
  },
};
