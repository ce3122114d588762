/* /: where the queue is short right now. Every site's services, waiting and estimated wait;
   choose a service and the sites are listed shortest wait first. Refreshed every 15 s. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let data = null;

  function wait(s) {
    if (s.estimated_wait_s === null || s.estimated_wait_s === undefined) return null;
    return s.estimated_wait_s;
  }

  function render() {
    const chosen = $("service").value;
    const list = HD.clear($("sites"));
    const rows = [];
    for (const site of data.sites) {
      const services = chosen ? site.services.filter((s) => s.name === chosen) : site.services;
      if (chosen && !services.length) continue;
      const waiting = services.reduce((a, s) => a + s.waiting, 0);
      const known = services.map(wait).filter((w) => w !== null);
      const best = known.length ? Math.min(...known) : null;
      rows.push({ site, services, waiting, best });
    }
    if (chosen) rows.sort((a, b) => (a.best === null) - (b.best === null) || (a.best - b.best) || (a.waiting - b.waiting));
    $("empty").hidden = rows.length > 0;
    rows.forEach((row, i) => {
      const { site } = row;
      const li = HD.el("li", "public-site" + (chosen && i === 0 && row.best !== null ? " shortest" : ""));
      const head = HD.el("div", "ps-head");
      head.append(HD.el("h2", null, site.name));
      if (chosen && i === 0 && row.best !== null) head.append(HD.el("span", "pill good", "Chờ ít nhất · shortest"));
      li.append(head);
      let state;
      if (site.link !== "up") state = HD.el("p", "ps-state off", "Tạm thời chưa có số liệu trực tiếp (no live figures now)");
      else if (site.open_now === false) state = HD.el("p", "ps-state off", "Đang ngoài giờ làm việc (closed now)");
      else state = null;
      if (state) li.append(state);
      const big = HD.el("p", "ps-big");
      big.append(HD.el("b", null, row.waiting), HD.el("span", null, " người đang chờ "), HD.el("span", "en", `${row.waiting} waiting`));
      li.append(big);
      if (chosen && row.best !== null) {
        const est = HD.el("p", "ps-est");
        const minutes = Math.round(row.best / 60);
        est.append(HD.el("span", null, "Dự kiến chờ khoảng "), HD.el("b", null, HD.minutes(row.best)),
          HD.el("span", "en", minutes < 1 ? " less than a minute" : ` about ${minutes} min`));
        li.append(est);
      }
      // every service when one is chosen; else the busiest few, the rest counted
      const shown = chosen ? row.services : [...row.services].sort((a, b) => b.waiting - a.waiting).slice(0, 4);
      const ul = HD.el("ul", "ps-services");
      for (const s of shown) {
        const item = HD.el("li");
        item.append(HD.el("span", "ps-name", s.name),
          HD.el("span", "ps-fig", `${s.waiting} người` + (wait(s) !== null ? ` · ${HD.soon(wait(s))}` : "")));
        ul.append(item);
      }
      if (shown.length < row.services.length) {
        const more = HD.el("li", "ps-more");
        more.append(HD.el("span", null, `và ${row.services.length - shown.length} dịch vụ khác — chọn dịch vụ ở trên`),
          HD.el("span", "en", "choose a service above"));
        ul.append(more);
      }
      li.append(ul);
      list.append(li);
    });
  }

  async function load() {
    try {
      data = await HD.json("/hub/v1/public/sites");
    } catch (err) {
      $("updated").textContent = "Không tải được số liệu, đang thử lại… (retrying)";
      return;
    }
    HD.tz = data.hub.timezone || HD.tz;
    $("hub-name").textContent = `Các trung tâm phục vụ hành chính công — ${data.hub.name}`;
    const select = $("service");
    const names = [...new Set(data.sites.flatMap((s) => s.services.map((x) => x.name)))].sort((a, b) => a.localeCompare(b, "vi"));
    const current = select.value;
    if (select.options.length - 1 !== names.length) {
      while (select.options.length > 1) select.remove(1);
      for (const n of names) { const o = HD.el("option", null, n); o.value = n; select.append(o); }
      select.value = current;
    }
    $("updated").textContent = `Cập nhật lúc ${HD.clock()} (updated)`;
    HD.publicSites = data;                     // the lookup's "where to take a number" reads it
    render();
  }
  $("service").addEventListener("change", render);
  HD.showService = (name) => {                 // from the lookup: list the sites for this service
    $("service").value = name;
    render();
    $("updated").scrollIntoView({ behavior: "smooth", block: "start" });
  };
  load();
  setInterval(load, 15000);
})();
