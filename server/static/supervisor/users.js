/* The supervisor page's Users tab (admins): add, disable, enable, reset a password, change an agency. */
(function () {
  "use strict";
  var SV = window.HangDoiSupervisor;
  var state = SV.state, $ = SV.$, el = SV.el, clear = SV.clear, tr = SV.tr, api = SV.api, say = SV.say, errorText = SV.errorText;

  // ---- users (admins) -------------------------------------------------------------------------
  function loadUsers() {
    api("GET", "/admin/users").then(function (data) { renderUsers(data.users); })
      .catch(function (err) { say(errorText(err), "error"); });
  }

  function renderUsers(users) {
    var body = $("users");
    clear(body);
    users.forEach(function (u) {
      var row = el("tr", u.active ? null : "quiet");
      row.setAttribute("data-user", u.username);
      row.appendChild(el("td", "strong", u.username));
      row.appendChild(el("td", null, tr("role." + u.role)));
      var agencyCell = el("td"), agency = document.createElement("select");
      agency.appendChild(el("option", null, tr("none")));
      agency.options[0].value = "";
      state.catalog.agencies.forEach(function (a) {
        var o = el("option", null, a.code);
        o.value = a.code;
        o.title = a.name;
        agency.appendChild(o);
      });
      agency.value = u.agency || "";
      agency.setAttribute("aria-label", tr("user.agency_of", { user: u.username }));
      agency.addEventListener("change", function () {
        userAction("agency", { username: u.username, agency: agency.value || null }, "user.agency_changed");
      });
      agencyCell.appendChild(agency);
      row.appendChild(agencyCell);
      row.appendChild(el("td", u.active ? "on" : "off", tr(u.active ? "user.active" : "user.inactive")));
      var actions = el("td", "user-actions");
      var toggle = el("button", u.active ? "danger" : null, tr(u.active ? "user.disable" : "user.enable"));
      toggle.type = "button";
      toggle.addEventListener("click", function () {
        userAction(u.active ? "disable" : "enable", { username: u.username },
          u.active ? "user.disabled" : "user.enabled");
      });
      var password = el("input");
      password.type = "password";
      password.placeholder = tr("user.new_password");
      password.autocomplete = "new-password";
      password.setAttribute("aria-label", tr("user.new_password_for", { user: u.username }));
      var reset = el("button", null, tr("user.reset"));
      reset.type = "button";
      reset.addEventListener("click", function () {
        userAction("password", { username: u.username, password: password.value }, "user.password_reset");
      });
      actions.appendChild(toggle);
      actions.appendChild(password);
      actions.appendChild(reset);
      row.appendChild(actions);
      body.appendChild(row);
    });
  }

  function userAction(path, body, done) {
    api("POST", "/admin/users/" + path, body).then(function (data) {
      say(tr(done, { user: data.user.username }), "ok");
      loadUsers();
    }).catch(function (err) { say(errorText(err), "error"); loadUsers(); });
  }

  $("user-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var body = { username: $("new-username").value.trim(), password: $("new-password").value,
      role: $("new-role").value, agency: $("new-agency").value || null };
    api("POST", "/admin/users", body).then(function (data) {
      say(tr("user.added", { user: data.user.username }), "ok");
      $("new-username").value = "";
      $("new-password").value = "";
      loadUsers();
    }).catch(function (err) { say(errorText(err), "error"); });
  });

  SV.loadUsers = loadUsers;
})();
