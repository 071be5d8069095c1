// The verification step, while a face check is open on a phone: ask the server every 3 s
// whether the result arrived (the server asks the identity service), and reload the page
// when the application changed or the check ended. Only loaded on that page; without
// JavaScript, reloading the page settles the check the same way.
(function () {
  var box = document.querySelector('[data-verification-poll]');
  if (!box) return;
  var url = box.getAttribute('data-verification-poll');
  var version = box.getAttribute('data-version');
  var pending = null;
  var stopAt = Date.now() + 15 * 60 * 1000;
  function poll() {
    if (Date.now() > stopAt) return;
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (state) {
          var now = state.pending.join(',');
          if (String(state.version) !== version || (pending !== null && now !== pending)) {
            window.location.reload();
            return;
          }
          pending = now;
        }
        setTimeout(poll, 3000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 3000);
})();
