/* The supervisor page starts once every tab's script has run (see page.js). */
(function () {
  "use strict";
  var SV = window.HangDoiSupervisor;
  SV.staff.languages(SV.redraw).then(function () { if (SV.token() && SV.user()) SV.start(); else SV.show("login"); });
})();
