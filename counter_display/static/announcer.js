/* Hàng Đợi — the announcer: says each call once, in order, never two at once.
 *
 * One <audio id="announcer"> element plays the WAV of each call (chime + sentence, made by the
 * server's one speech worker). Calls that arrive while it speaks wait in a queue; when three or
 * more wait, up to six of them are merged into one file (/display/audio/batch.wav: one chime,
 * then each sentence once), so a burst of calls is said quickly and completely instead of being
 * dropped or said on top of each other. If the browser blocks autoplay, onBlocked() is called
 * (the page shows a one-time "Bật âm thanh" tap) and the queue waits for unlock().
 */
(function (global) {
  "use strict";

  var MERGE_AT = 3;          // waiting items from which a backlog is merged
  var MERGE_MAX = 6;         // items in one merged file
  var GAP_MS = 700;          // silence between two announcements
  var STALL_MS = 90000;      // an announcement that neither ends nor fails by then is skipped

  function Announcer(options) {
    this.audio = options.audio;
    this.enabled = !!options.enabled;
    this.onBlocked = options.onBlocked || function () {};
    this.queue = [];
    this.busy = false;
    this.blocked = false;
    this.playId = 0;
    this.timer = null;
    this.played = [];        // paths started, oldest first (kept short; read by the browser tests)
    var self = this;
    this.audio.addEventListener("ended", function () { self._done(self.playId, false); });
    this.audio.addEventListener("error", function () { self._done(self.playId, true); });
  }

  /* Find out at once whether this browser lets the page play sound without a tap. */
  Announcer.prototype.probe = function () {
    if (!this.enabled) return;
    var self = this;
    var probe = new Audio("/display/silence.wav");
    var p = probe.play();
    if (p && p.catch) p.catch(function (err) { if (err && err.name === "NotAllowedError") self._block(); });
  };

  Announcer.prototype.add = function (call) {
    if (!this.enabled || !call || !call.announcement || !call.announcement.audio_url) return;
    var path = HangDoi.pathOf(call.announcement.audio_url);
    for (var i = 0; i < this.queue.length; i++) {
      if (this.queue[i].path === path) return;   // already waiting to be said
    }
    this.queue.push({ path: path, code: call.ticket.code, desk: call.desk.number, merge: true });
    this._next();
  };

  Announcer.prototype.unlock = function () {
    this.blocked = false;
    this._next();
  };

  Announcer.prototype._block = function () {
    if (this.blocked) return;
    this.blocked = true;
    this.onBlocked();
  };

  Announcer.prototype._take = function () {
    var mergeable = [];
    for (var i = 0; i < this.queue.length && mergeable.length < MERGE_MAX; i++) {
      if (!this.queue[i].merge) break;
      mergeable.push(this.queue[i]);
    }
    if (this.queue.length >= MERGE_AT && mergeable.length >= 2) {
      this.queue.splice(0, mergeable.length);
      var query = mergeable.map(function (it) {
        return "c=" + encodeURIComponent(it.code + "-" + it.desk);
      }).join("&");
      return { path: "/display/audio/batch.wav?" + query + "&token=" + encodeURIComponent(HangDoi.token()),
               items: mergeable };
    }
    var one = this.queue.shift();
    return { path: one.path, items: [one] };
  };

  Announcer.prototype._next = function () {
    if (this.busy || this.blocked || !this.queue.length) return;
    var job = this._take();
    var self = this;
    var id = ++this.playId;
    this.busy = true;
    this.current = job;
    this.audio.src = job.path;
    this.played.push(job.path);
    if (this.played.length > 50) this.played.shift();
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self._done(id, true); }, STALL_MS);
    var p;
    try { p = this.audio.play(); } catch (e) { p = Promise.reject(e); }
    if (p && p.then) {
      p.catch(function (err) {
        if (id !== self.playId || !self.busy) return;
        if (err && err.name === "NotAllowedError") {
          // Put it back and wait for a tap.
          self.busy = false;
          clearTimeout(self.timer);
          self.queue = job.items.concat(self.queue);
          self.played.pop();
          self._block();
        } else {
          self._done(id, true);
        }
      });
    }
  };

  Announcer.prototype._done = function (id, failed) {
    if (id !== this.playId || !this.busy) return;
    clearTimeout(this.timer);
    var job = this.current;
    this.busy = false;
    this.current = null;
    if (failed && job && job.items.length > 1) {
      // The merged file could not be made: say them one by one instead.
      var singles = job.items.map(function (it) { return { path: it.path, code: it.code, desk: it.desk, merge: false }; });
      this.queue = singles.concat(this.queue);
    } else if (failed && job && !job.items[0].retried) {
      // One more try (the server makes the sound again: a failed synthesis is not cached).
      var again = job.items[0];
      again.retried = true;
      again.merge = false;
      this.queue.unshift(again);
    }
    var self = this;
    setTimeout(function () { self._next(); }, failed ? 1000 : GAP_MS);
  };

  global.Announcer = Announcer;
})(window);
