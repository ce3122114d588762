/* /province: every site live (link, waiting, open desks, longest wait, alerts), one site in
   detail, and reports by site, agency and officer with CSS bars and CSV / Excel downloads. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const KEY = "hangdoi-hub-token";
  const LINK = { up: "Đang kết nối", down: "Mất kết nối", never: "Chưa kết nối" };
  const LINK_EN = { up: "link up", down: "link down", never: "never connected" };
  const STATE = { open: "Mở", paused: "Tạm dừng", closed: "Đóng" };
  let token = sessionStorage.getItem(KEY);
  let selected = null;
  let timer = null;

  function auth() { return { Authorization: `Bearer ${token}` }; }

  function show(message) {
    const m = $("message");
    m.textContent = message;
    m.hidden = false;
    setTimeout(() => { m.hidden = true; }, 6000);
  }

  async function api(path) {
    try {
      return await HD.json(`/hub/v1${path}`, { headers: auth() });
    } catch (err) {
      if (err.status === 401) { signOut(); }
      throw err;
    }
  }

  function signOut() {
    sessionStorage.removeItem(KEY);
    token = null;
    clearInterval(timer);
    $("login").hidden = false;
    $("live").hidden = $("reports").hidden = $("tabs").hidden = $("user").hidden = true;
  }

  function signedIn(user) {
    $("login").hidden = true;
    $("tabs").hidden = $("user").hidden = false;
    $("username").textContent = user || sessionStorage.getItem(KEY + "-user") || "";
    view("live");
    refresh();
    clearInterval(timer);
    timer = setInterval(refresh, 5000);
  }

  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    try {
      const body = await HD.json("/hub/v1/auth/login", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: f.username.value, password: f.password.value }),
      });
      token = body.access_token;
      sessionStorage.setItem(KEY, token);
      sessionStorage.setItem(KEY + "-user", body.user.username);
      $("login-error").hidden = true;
      signedIn(body.user.username);
    } catch (err) {
      $("login-error").textContent = "Sai tên đăng nhập hoặc mật khẩu (wrong username or password)";
      $("login-error").hidden = false;
    }
  });
  $("logout").addEventListener("click", signOut);

  function view(name) {
    for (const b of document.querySelectorAll(".tab")) b.classList.toggle("active", b.dataset.view === name);
    $("live").hidden = name !== "live";
    $("reports").hidden = name !== "reports";
    if (name === "reports" && !$("report-form").from.value) {
      const today = new Date().toLocaleDateString("sv-SE", { timeZone: HD.tz });   // YYYY-MM-DD in the hub's zone
      $("report-form").from.value = today;
      $("report-form").to.value = today;
      report();
    }
  }
  for (const b of document.querySelectorAll(".tab")) b.addEventListener("click", () => view(b.dataset.view));

  function tile(label, en, value, cls) {
    const t = HD.el("div", "tile" + (cls ? " " + cls : ""));
    t.append(HD.el("div", "tile-value", value), HD.el("div", "tile-label", label));
    t.lastChild.append(HD.el("span", "en", en));
    return t;
  }

  function linkText(s) {
    if (s.link === "never") return `${LINK.never} (${LINK_EN.never})`;
    const since = s.link === "up" ? s.link_since : s.last_seen_at;
    return `${LINK[s.link]} từ ${HD.time(since)} (${LINK_EN[s.link]} since ${HD.time(since)})`;
  }

  async function refresh() {
    let sites;
    try {
      sites = (await api("/sites")).sites;
    } catch (err) {
      if (token) show(`Không tải được dữ liệu: ${err.message}`);
      return;
    }
    $("clock").textContent = HD.clock();
    $("updated").textContent = `· cập nhật ${HD.clock()}`;
    const sum = (k) => sites.reduce((a, s) => a + s.today[k], 0);
    const up = sites.filter((s) => s.link === "up").length;
    HD.clear($("strip")).append(
      tile("Điểm đang kết nối", "Sites up", `${up}/${sites.length}`, up === sites.length ? "good" : "bad"),
      tile("Đã cấp số hôm nay", "Issued today", HD.num(sum("issued"), 0)),
      tile("Đã phục vụ", "Served", HD.num(sum("served"), 0)),
      tile("Đang chờ", "Waiting", HD.num(sum("waiting"), 0)),
      tile("Quầy đang mở", "Open desks", HD.num(sum("open_desks"), 0)),
    );
    const box = HD.clear($("sites"));
    const alerts = HD.clear($("alerts"));
    const select = $("report-site");
    if (select.options.length === 1) {
      for (const s of sites) { const o = HD.el("option", null, `${s.code} — ${s.name}`); o.value = s.code; select.append(o); }
    }
    for (const s of sites) {
      const card = HD.el("button", `site-card link-${s.link}` + (s.alerts.length ? " alerting" : "") +
        (selected === s.code ? " selected" : ""));
      card.type = "button";
      const head = HD.el("div", "site-head");
      head.append(HD.el("span", `badge ${s.link}`, LINK[s.link]), HD.el("span", "site-code", s.code),
        HD.el("span", "kind", s.kind === "province" ? "Cấp tỉnh" : "Cấp xã"));
      card.append(head, HD.el("div", "site-name", s.name), HD.el("div", "site-link muted", linkText(s)));
      const figures = HD.el("div", "figures");
      const fig = (v, l) => { const f = HD.el("div", "fig"); f.append(HD.el("b", null, v), HD.el("span", null, l)); return f; };
      figures.append(fig(s.today.waiting, "đang chờ"), fig(s.today.open_desks, "quầy mở"),
        fig(HD.minutes(s.longest_wait_s), "chờ lâu nhất"), fig(`${s.today.served}/${s.today.issued}`, "phục vụ/cấp"));
      card.append(figures);
      if (s.alerts.length) card.append(HD.el("div", "site-alerts", `⚠ ${s.alerts.length} cảnh báo`));
      card.addEventListener("click", () => { selected = s.code; detail(); refresh(); });
      box.append(card);
      for (const a of s.alerts) {
        const li = HD.el("li", `alert ${a.kind}`);
        li.append(HD.el("b", null, s.code + " "), HD.el("span", null, a.message));
        alerts.append(li);
      }
    }
    if (!alerts.firstChild) alerts.append(HD.el("li", "empty", "Không có cảnh báo (no alerts)"));
    if (selected) detail();
  }

  async function detail() {
    let d;
    try { d = await api(`/sites/${encodeURIComponent(selected)}`); } catch (err) { return; }
    $("detail").hidden = false;
    $("detail-name").textContent = `${d.site.code} — ${d.site.name}`;
    $("detail-link").textContent = linkText(d.site);
    const sb = HD.clear($("detail-services").tBodies[0]);
    for (const s of d.services) {
      const tr = HD.el("tr", s.longest_wait_s > s.target_wait_min * 60 ? "late" : "");
      tr.append(HD.el("td", null, s.name), HD.el("td", "num", s.waiting), HD.el("td", "num", HD.minutes(s.longest_wait_s)),
        HD.el("td", "num", HD.minutes(s.estimated_wait_s)), HD.el("td", "num", `${s.target_wait_min} phút`));
      sb.append(tr);
    }
    const db = HD.clear($("detail-desks").tBodies[0]);
    for (const k of d.desks) {
      const tr = HD.el("tr", `desk-${k.state}`);
      tr.append(HD.el("td", null, k.name || `Quầy ${k.number}`),
        HD.el("td", null, (STATE[k.state] || k.state) + (k.pause_reason ? ` — ${k.pause_reason}` : "")),
        HD.el("td", null, k.ticket || "—"), HD.el("td", null, k.officer || "—"));
      db.append(tr);
    }
    const ev = HD.clear($("detail-events"));
    for (const e of d.recent) ev.append(HD.el("li", null, `${HD.time(e.at)} · #${e.seq} ${e.type}` +
      (e.code ? ` ${e.code}` : "") + (e.desk ? ` · quầy ${e.desk}` : "")));
  }
  $("detail-close").addEventListener("click", () => { selected = null; $("detail").hidden = true; refresh(); });

  function query() {
    const f = $("report-form");
    const q = new URLSearchParams({ from: f.from.value, to: f.to.value });
    if (f.site.value) q.set("site", f.site.value);
    return q;
  }

  function bars(node, rows, label) {
    HD.clear(node);
    if (!rows.length) { node.append(HD.el("p", "empty", "Chưa có số liệu (no data)")); return; }
    const max = Math.max(1, ...rows.map((r) => r.issued));
    const head = HD.el("div", "bar-row head");
    head.append(HD.el("span", "bar-label", ""), HD.el("span", "bar-track", "Số đã cấp · đã phục vụ (issued · served)"),
      HD.el("span", "bar-fig", "Chờ TB"), HD.el("span", "bar-fig", "Đúng hạn"), HD.el("span", "bar-fig", "Hài lòng"));
    node.append(head);
    for (const r of rows) {
      const row = HD.el("div", "bar-row");
      const track = HD.el("span", "bar-track");
      const issued = HD.el("span", "bar issued");
      issued.style.width = `${(100 * r.issued) / max}%`;
      const served = HD.el("span", "bar served");
      served.style.width = `${(100 * r.served) / max}%`;
      track.append(issued, served, HD.el("span", "bar-text", `${r.issued} · ${r.served}`));
      const pct = r.within_target_pct;
      row.append(HD.el("span", "bar-label", label(r)), track, HD.el("span", "bar-fig", HD.minutes(r.avg_wait_s)),
        HD.el("span", "bar-fig" + (pct !== null && pct < 80 ? " low" : ""), pct === null ? "—" : `${HD.num(pct)} %`),
        HD.el("span", "bar-fig", r.rating_avg === null ? "—" : `${HD.num(r.rating_avg, 2)}/5`));
      node.append(row);
    }
  }

  async function report() {
    let r;
    try { r = await api(`/reports/summary?${query()}`); } catch (err) { show(err.message); return; }
    const t = r.totals;
    HD.clear($("report-totals")).append(
      tile("Đã cấp số", "Issued", HD.num(t.issued, 0)), tile("Đã phục vụ", "Served", HD.num(t.served, 0)),
      tile("Vắng mặt", "No-show", HD.num(t.no_show, 0)), tile("Chờ trung bình", "Average wait", HD.minutes(t.avg_wait_s)),
      tile("Gọi đúng hạn", "Within target", t.within_target_pct === null ? "—" : `${HD.num(t.within_target_pct)} %`),
      tile("Hài lòng", "Satisfaction", t.rating_avg === null ? "—" : `${HD.num(t.rating_avg, 2)}/5`));
    bars($("by-site"), r.by_site, (x) => x.code);
    bars($("by-agency"), r.by_agency.filter((x) => x.issued), (x) => x.name);
    bars($("by-officer"), r.by_officer, (x) => `${x.username} (${x.site})`);
  }
  $("report-form").addEventListener("submit", (e) => { e.preventDefault(); report(); });

  async function download(format, what) {    // what: "tickets" or "ratings" (one row per rating, issue 14)
    const q = query();
    q.set("format", format);
    const r = await fetch(`/hub/v1/reports/${what || "tickets"}?${q}`, { headers: auth() });
    if (!r.ok) { show(`Không tải được (${r.status})`); return; }
    const blob = await r.blob();
    const a = HD.el("a");
    a.href = URL.createObjectURL(blob);
    a.download = `hangdoi-tinh-${what === "ratings" ? "danh-gia-" : ""}${q.get("site") || "tat-ca"}-${q.get("from")}_${q.get("to")}.${format}`;
    document.body.append(a);
    a.click();
    a.remove();
  }
  $("csv").addEventListener("click", () => download("csv"));
  $("xlsx").addEventListener("click", () => download("xlsx"));
  $("ratings-csv").addEventListener("click", () => download("csv", "ratings"));
  $("ratings-xlsx").addEventListener("click", () => download("xlsx", "ratings"));

  HD.json("/hub/v1/public/sites").then((d) => {
    HD.tz = d.hub.timezone || HD.tz;
    $("hub-name").textContent = `${d.hub.name} · Điều hành toàn tỉnh`;
  })
    .catch(() => {});
  if (token) signedIn(); else signOut();
})();
