// The documents step, while a phone upload QR code is shown: ask the server every 2.5 s
// which documents are there, and show a newly uploaded one without a reload. Only loaded
// on that page; without JavaScript, reloading the page shows it the same way.
(function () {
  var list = document.querySelector('[data-poll]');
  if (!list) return;
  var url = list.getAttribute('data-poll');
  var stopAt = Date.now() + 10 * 60 * 1000;
  function show(slot) {
    var item = list.querySelector('[data-testid="slot-' + slot + '"]');
    if (!item || item.classList.contains('done')) return;
    var base = url + '/' + slot;
    var box = item.querySelector('.document-image');
    box.textContent = '';
    var link = document.createElement('a');
    link.href = base;
    link.target = '_blank';
    link.rel = 'noopener';
    var img = document.createElement('img');
    img.src = base + '/thumbnail?t=' + Date.now();
    img.alt = item.querySelector('label strong').textContent;
    link.appendChild(img);
    box.appendChild(link);
    item.classList.add('done');
    var qr = item.querySelector('.phone-link');
    if (qr) qr.remove();
  }
  function poll() {
    if (Date.now() > stopAt) return;
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (state) state.uploaded.forEach(show);
        setTimeout(poll, 2500);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2500);
})();
