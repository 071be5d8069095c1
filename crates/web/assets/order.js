// An order page showing a payment QR code: ask the server every 2.5 s how the order
// stands, and reload the page once it is no longer waiting for payment (paid, or a payment
// problem for finance). Only loaded while a code is shown; without JavaScript, reloading
// the page shows the same.
(function () {
  var box = document.querySelector('[data-poll-order]');
  if (!box) return;
  var url = box.getAttribute('data-poll-order');
  var stopAt = Date.now() + 30 * 60 * 1000;
  function poll() {
    if (Date.now() > stopAt) return;
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (state && state.status !== 'awaiting_payment') {
          window.location.replace(url.replace(/\/state$/, ''));
          return;
        }
        setTimeout(poll, 2500);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2500);
})();
