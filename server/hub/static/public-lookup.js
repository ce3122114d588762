/* /: "Tra cứu thủ tục" — the province's procedures (GET /hub/v1/public/procedures), searched as
   a site's kiosk searches them (no accents and one typo a word forgiven), the details of one,
   and the centers whose queue takes its number, shortest wait first. Hidden when the hub
   publishes no catalog. Text only goes in through textContent. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let timer = null, asked = 0;

  function status(text) { $("lookup-status").textContent = text || ""; }

  async function search(q) {
    const mine = ++asked;
    q = q.trim();
    if (!q) { HD.clear($("lookup-results")); status(""); return; }
    status("Đang tìm… (searching)");
    let body;
    try {
      body = await HD.json("/hub/v1/public/procedures?q=" + encodeURIComponent(q) + "&limit=20");
    } catch (err) {
      if (mine === asked) status("Không tìm được lúc này, xin thử lại. (Search failed; please try again.)");
      return;
    }
    if (mine !== asked) return;                // a newer query was typed meanwhile
    $("lookup-details").hidden = true;
    const list = HD.clear($("lookup-results"));
    list.hidden = false;
    status(body.procedures.length ? `${body.procedures.length} thủ tục (procedures)`
      : "Không thấy thủ tục nào. Thử từ khác, ví dụ: kết hôn, căn cước. (Nothing found; try other words.)");
    for (const p of body.procedures) {
      const li = HD.el("li");
      const b = HD.el("button", "lookup-item");
      b.type = "button";
      b.append(HD.el("span", "li-name", p.name), HD.el("span", "li-sub", `${p.field} · ${p.agency_name}`));
      b.addEventListener("click", () => details(p));
      li.append(b);
      list.append(li);
    }
  }

  function fact(parent, label, en, value) {
    const row = HD.el("div", "lk-fact");
    const head = HD.el("div", "lk-label", label);
    head.append(HD.el("span", "en", en));
    row.append(head);
    if (Array.isArray(value)) {
      if (!value.length) row.append(HD.el("div", "lk-unknown", "Chưa có thông tin — xin hỏi tại quầy (not known yet)"));
      else { const ol = HD.el("ol", "lk-docs"); value.forEach((d) => ol.append(HD.el("li", null, d))); row.append(ol); }
    } else {
      row.append(HD.el("div", value ? "lk-value" : "lk-unknown", value || "Chưa có thông tin — xin hỏi tại quầy (not known yet)"));
    }
    parent.append(row);
  }

  function where(p) {
    const data = HD.publicSites;
    const out = [];
    for (const site of (data && data.sites) || []) {
      const s = site.services.find((x) => x.code === p.service);
      if (s) out.push({ site, s });
    }
    const known = (x) => (x.s.estimated_wait_s === null || x.s.estimated_wait_s === undefined ? Infinity : x.s.estimated_wait_s);
    out.sort((a, b) => known(a) - known(b) || a.s.waiting - b.s.waiting);
    return out;
  }

  function details(p) {
    $("lookup-results").hidden = true;
    status("");
    const box = HD.clear($("lookup-details"));
    box.hidden = false;
    const back = HD.el("button", "lookup-back", "← Quay lại kết quả");
    back.type = "button";
    back.append(HD.el("span", "en", "Back to the results"));
    back.addEventListener("click", () => { box.hidden = true; $("lookup-results").hidden = false; });
    box.append(back, HD.el("h2", "lk-title", p.name));
    fact(box, "Cơ quan", "Agency", p.agency_name);
    fact(box, "Lĩnh vực", "Field", p.field);
    fact(box, "Thành phần hồ sơ", "Documents", p.documents || []);
    fact(box, "Lệ phí", "Fee", p.fee);
    fact(box, "Thời hạn giải quyết", "Processing time", p.processing_time);
    const places = where(p);
    const head = HD.el("h3", "lk-where", "Lấy số ở đâu");
    head.append(HD.el("span", "en", "Where to take a number"));
    box.append(head);
    if (!places.length) {
      box.append(HD.el("p", "lk-unknown", "Mọi trung tâm trong tỉnh đều nhận thủ tục này; xin hỏi quầy hướng dẫn khi đến. "
        + "(Any center accepts it; ask at the reception.)"));
      return;
    }
    const ul = HD.el("ul", "lk-places");
    for (const { site, s } of places) {
      const li = HD.el("li");
      li.append(HD.el("span", "ps-name", site.name),
        HD.el("span", "ps-fig", `${s.waiting} người chờ` + (s.estimated_wait_s !== null && s.estimated_wait_s !== undefined
          ? ` · ${HD.soon(s.estimated_wait_s)}` : "")));
      ul.append(li);
    }
    box.append(ul);
    const show = HD.el("button", "primary lk-show", `Xem hàng chờ “${places[0].s.name}”`);
    show.type = "button";
    show.append(HD.el("span", "en", "Show the queues"));
    show.addEventListener("click", () => HD.showService(places[0].s.name));
    box.append(show);
  }

  $("lookup-form").addEventListener("submit", (e) => { e.preventDefault(); clearTimeout(timer); search($("lookup-q").value); });
  $("lookup-q").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => search($("lookup-q").value), 350); });

  HD.json("/hub/v1/public/procedures/fields").then((body) => {
    $("lookup").hidden = !(body.fields && body.fields.length);
  }).catch(() => { $("lookup").hidden = true; });
})();
